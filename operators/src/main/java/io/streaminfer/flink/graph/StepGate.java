package io.streaminfer.flink.graph;

import io.streaminfer.flink.records.GraphRecord;
import org.apache.flink.annotation.Internal;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Before a step fed by one branch (or by the graph's inputs): decides whether the step runs ({@link Gate}) and
 * announces it (RUNNING at the step), without state. Chained with its step, so it costs a function call.
 */
@Internal
public class StepGate extends ProcessFunction<GraphRecord, GraphRecord> {
    private static final long serialVersionUID = 1L;

    private final GraphPlan plan;
    private final int node;
    private final boolean announce;

    /** @param announce publish RUNNING progress when the step starts */
    public StepGate(GraphPlan plan, int node, boolean announce) {
        this.plan = plan;
        this.node = node;
        this.announce = announce;
    }

    @Override
    public void processElement(GraphRecord r, Context ctx, Collector<GraphRecord> out) {
        if (r.isProgress()) {
            if (Gate.passesProgress(plan, node, r)) {
                out.collect(r);
            }
            return;
        }
        Gate.admit(plan, node, r, announce, out);
    }
}
