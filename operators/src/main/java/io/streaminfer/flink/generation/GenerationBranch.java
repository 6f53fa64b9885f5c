package io.streaminfer.flink.generation;

import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.topology.RequestBranch;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Requests of generative models, off the one-step path: a router takes every envelope of theirs (their ACCEPTED
 * too, so a request's records stay on one path, in order) to the generation step, an async operator whose engines
 * batch them per decoding step ({@link GenerationFunction}), and whose outcomes go to the recorder. Forward edges
 * only; uids {@code generation-router} and {@code generation}.
 *
 * <pre>{@code
 * InferenceTopology.builder().settings(settings)
 *         .branch(new GenerationBranch(Set.of("sotu-gpt"), generationSettings, 512))
 *         .build();
 * }</pre>
 */
public final class GenerationBranch implements RequestBranch {
    private final Set<String> models;
    private final GenerationStageSettings settings;
    private final int capacity;

    /**
     * @param models the served generative models
     * @param capacity generations in flight per subtask (above the engines' running and waiting sequences)
     */
    public GenerationBranch(Set<String> models, GenerationStageSettings settings, int capacity) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a generation branch needs at least one generative model");
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.models = Set.copyOf(models);
        this.settings = settings;
        this.capacity = capacity;
    }

    @Override
    public Set<String> takes() {
        return models;
    }

    @Override
    public Set<String> runs() {
        return Set.of(); // no one-shot model: the engines are the subtask's generators (SubtaskModels)
    }

    @Override
    public Attached attach(DataStream<RequestEnvelope> admitted, Context context) {
        SingleOutputStreamOperator<RequestEnvelope> routed = admitted.process(new GenerationRouter(models))
                .uid("generation-router").name("route generation requests");
        // Timeout 0: only a caller's deadline ends a generation; the engines keep their own budgets.
        SingleOutputStreamOperator<Outcome> generated = AsyncDataStream.unorderedWait(
                routed.getSideOutput(GenerationRouter.GENERATION), new GenerationFunction(settings, context.inference()), 0,
                TimeUnit.MILLISECONDS, capacity);
        generated.uid("generation").name("generation (continuous batching)");
        return new Attached(routed, List.of(generated), List.of());
    }

    @Override
    public String toString() {
        return "generative models " + models;
    }
}
