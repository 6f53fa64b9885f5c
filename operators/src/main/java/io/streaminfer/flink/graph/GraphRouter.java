package io.streaminfer.flink.graph;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.flink.records.GraphRecord;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import io.streaminfer.runtime.TensorsCodec;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After admission: sends graph requests to their graph's entry steps (one side output per served graph version,
 * {@link #tag}), everything else on to the one-step inference operator. Forward edges only, so records stay on
 * the subtask their request ID was admitted on. A graph request's ACCEPTED progress takes the graph's path too, so
 * that it reaches the outcomes ahead of the request's RUNNING progress (the entry steps' is announced here, behind
 * it) and final outcome; its other decided
 * outcomes (a rejection, an expiry at admission, a replay) take the one-step path as any request's do.
 */
@Internal
public class GraphRouter extends ProcessFunction<RequestEnvelope, RequestEnvelope> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GraphRouter.class);

    private final List<GraphPlan> plans;
    private final boolean announce;
    private transient Map<String, GraphPlan> byKey;
    private transient Map<String, OutputTag<GraphRecord>> tags;

    /** @param announce publish RUNNING progress as steps start (here: for the entry steps) */
    public GraphRouter(List<GraphPlan> plans, boolean announce) {
        this.plans = List.copyOf(plans);
        this.announce = announce;
    }

    /** The side output of a graph version's requests. */
    public static OutputTag<GraphRecord> tag(GraphPlan plan) {
        return new OutputTag<>("graph-" + plan.key(), TypeInformation.of(GraphRecord.class));
    }

    @Override
    public void open(OpenContext openContext) {
        byKey = new HashMap<>();
        tags = new HashMap<>();
        for (GraphPlan p : plans) {
            byKey.put(p.key(), p);
            tags.put(p.key(), tag(p));
        }
    }

    @Override
    public void processElement(RequestEnvelope r, Context ctx, Collector<RequestEnvelope> out) {
        String key = r.model + ":" + r.modelVersion;
        GraphPlan plan = byKey.get(key);
        if (plan == null) {
            out.collect(r);
            return;
        }
        if (r.decided != null) {
            if (r.decided.kind() == Outcome.Kind.PROGRESS && r.decided.state == RequestState.ACCEPTED) {
                GraphRecord accepted = record(r, plan).progress(RequestState.ACCEPTED, null, GraphPlan.INPUT);
                ctx.output(tags.get(key), accepted);
            } else {
                out.collect(r);
            }
            return;
        }
        GraphRecord g;
        try {
            PreparedRequest prepared = PreparedRequestCodec.decode(r.prepared); // the graph's inputs, as checked
            g = record(r, plan);
            g.tensors = TensorsCodec.encode(prepared.request().inputs());
            List<RequestedOutput> asked = prepared.request().outputs();
            g.requestedOutputs = asked.isEmpty() ? null : asked.stream().map(RequestedOutput::name)
                    .toArray(String[]::new);
        } catch (RuntimeException e) {
            LOG.error("Graph request {} arrived without readable inputs", r.id, e);
            RequestEnvelope failed = RequestEnvelope.carrying(Outcomes.failure(r, ErrorCode.INTERNAL,
                    "the graph request's inputs could not be read: " + e.getMessage(), System.currentTimeMillis()));
            out.collect(failed);
            return;
        }
        if (announce) {
            // The entry steps start now. Announced here, behind ACCEPTED on one path, rather than by their gates on
            // parallel paths, which might reach the outcomes ahead of it.
            Map<String, io.streaminfer.contract.Tensor> inputs = GraphTensors.decode(g.tensors);
            for (GraphPlan.Step s : plan.steps()) {
                if (s.feeds.length == 0 && Gate.runs(s, inputs)) {
                    ctx.output(tags.get(key), g.progress(RequestState.RUNNING, s.name, GraphPlan.INPUT));
                }
            }
        }
        ctx.output(tags.get(key), g);
    }

    /** A graph record with the request's routing and no step reached yet. */
    static GraphRecord record(RequestEnvelope r, GraphPlan plan) {
        GraphRecord g = new GraphRecord();
        g.id = r.id;
        g.responseId = r.responseId;
        g.graph = plan.graph();
        g.graphVersion = plan.version();
        g.priority = r.priority;
        g.deadlineMs = r.deadlineMs;
        g.binaryOutputs = r.binaryOutputs;
        g.traceparent = r.traceparent;
        g.tracestate = r.tracestate;
        if (r.decided != null) { // an envelope carrying an outcome has its routing in the outcome
            g.producedAt = r.decided.producedAt;
            g.acceptedAt = r.decided.acceptedAt;
            g.replyTo = r.decided.replyTo;
            g.replyPartition = r.decided.replyPartition;
            g.callbackUrl = r.decided.callbackUrl;
        } else {
            g.producedAt = r.producedAt;
            g.acceptedAt = r.acceptedAt;
            g.replyTo = r.replyTo;
            g.replyPartition = r.replyPartition;
            g.callbackUrl = r.callbackUrl;
        }
        int n = plan.steps().size();
        g.steps = new byte[n];
        g.queueMicros = new long[n];
        g.modelMicros = new long[n];
        Arrays.fill(g.queueMicros, -1);
        Arrays.fill(g.modelMicros, -1);
        return g;
    }
}
