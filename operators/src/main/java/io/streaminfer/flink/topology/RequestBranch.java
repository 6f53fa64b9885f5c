package io.streaminfer.flink.topology;

import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.RequestEnvelope;
import java.util.List;
import java.util.Set;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * A kind of request that leaves the one-step inference path after admission for operators of its own, and whose
 * outcomes join the outcome recorder: graphs of models ({@link GraphBranch}) today. A new kind (e.g. requests of a
 * generative model, run by an async operator of their own) is one more implementation, given to {@link
 * InferenceTopology.Builder#branch}; nothing else of the topology changes.
 *
 * <p>A branch keeps the topology's rules (see the package documentation): every edge it adds is a forward one with the
 * job's parallelism (records stay on the subtask their request ID was admitted on, so a keyed operator reads its
 * input with {@code DataStreamUtils.reinterpretAsKeyedStream}, never through another shuffle); a request's progress
 * (ACCEPTED, RUNNING) and its final outcome leave the branch on one path, in that order; every request it takes ends
 * in exactly one final outcome (a failure included); its operators have stable uids.
 */
public interface RequestBranch {
    /** Model names whose requests this branch takes off the one-step path (a graph's name); none is loaded. */
    Set<String> takes();

    /** Models its operators run on the subtask's shared replicas and batchers (a graph's steps'): loaded. */
    Set<String> runs();

    /**
     * Adds the branch's operators.
     *
     * @param admitted what goes on to the one-step inference so far: admitted requests and decided outcomes, in order
     *     per request ID, on the subtask of their ID
     * @return what goes on to the one-step inference (everything but this branch's requests), and the branch's
     *     outcomes and dead letters
     */
    Attached attach(DataStream<RequestEnvelope> admitted, Context context);

    /** A branch's streams: the rest for the one-step path; its outcomes for the recorder; its dead letters. */
    record Attached(DataStream<RequestEnvelope> rest, List<DataStream<Outcome>> outcomes,
            List<DataStream<Rejection>> deadLetters) {
    }

    /**
     * What a branch shares with the rest of the topology: the settings, and the inference settings every operator
     * that runs models uses (they share the subtask's replicas and batchers, so they must be these).
     */
    record Context(TopologySettings settings, InferenceSettings inference) {
    }
}
