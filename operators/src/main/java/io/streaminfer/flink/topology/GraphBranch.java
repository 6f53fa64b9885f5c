package io.streaminfer.flink.topology;

import io.streaminfer.flink.graph.GraphPlan;
import io.streaminfer.flink.graph.GraphResult;
import io.streaminfer.flink.graph.GraphRouter;
import io.streaminfer.flink.graph.GraphStepFunction;
import io.streaminfer.flink.graph.StepGate;
import io.streaminfer.flink.graph.StepJoin;
import io.streaminfer.flink.records.GraphRecord;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.RequestEnvelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The operators of the served graphs, after admission. A router sends graph requests (by model name and version)
 * to their graph's entry steps and everything else on to the one-step inference; per graph version, each step is
 * a gate (its condition; or a keyed join when several branches feed it) and an async operator on its model's
 * shared batcher, and the graph's outputs become outcomes. Every edge is a forward one from the admission subtask,
 * so records stay partitioned by request ID: joins read their inputs as keyed ({@code reinterpretAsKeyedStream}),
 * never through another shuffle. Uids derive from graph, version and step names ({@link GraphPlan#uid}).
 *
 * <pre>
 * admission → route ─one-step─→ inference
 *               └─sotu-qa:1─→ sotu-qa/embed (when) → sotu-qa/embed → sotu-qa/lookup (when) → sotu-qa/lookup → ...
 *                              → [sotu-qa/outputs (join)] → sotu-qa/outputs → outcomes
 * </pre>
 */
final class GraphBranch implements RequestBranch {
    private final List<GraphPlan> plans;

    GraphBranch(List<GraphPlan> plans) {
        this.plans = List.copyOf(plans);
    }

    @Override
    public Set<String> takes() {
        Set<String> graphs = new TreeSet<>();
        plans.forEach(p -> graphs.add(p.graph()));
        return graphs;
    }

    @Override
    public Set<String> runs() {
        Set<String> models = new TreeSet<>();
        plans.forEach(p -> p.steps().forEach(s -> models.add(s.model)));
        return models;
    }

    @Override
    public Attached attach(DataStream<RequestEnvelope> admitted, Context context) {
        TopologySettings settings = context.settings();
        SingleOutputStreamOperator<RequestEnvelope> routed = admitted
                .process(new GraphRouter(plans, settings.graphProgress()))
                .uid("graph-router").name("route graph requests");
        List<DataStream<Outcome>> outcomes = new ArrayList<>();
        List<DataStream<Rejection>> deadLetters = new ArrayList<>();
        for (GraphPlan plan : plans) {
            Map<Integer, DataStream<GraphRecord>> outOf = new HashMap<>();
            outOf.put(GraphPlan.INPUT, routed.getSideOutput(GraphRouter.tag(plan)));
            for (GraphPlan.Step step : plan.steps()) {
                DataStream<GraphRecord> gated = gate(plan, step.index, outOf, settings);
                outOf.put(step.index, run(plan, step, gated, context));
            }
            int out = plan.output();
            SingleOutputStreamOperator<Outcome> result = gate(plan, out, outOf, settings)
                    .process(new GraphResult(plan)).uid(plan.uid(out, null)).name(plan.name(out));
            outcomes.add(result);
            deadLetters.add(result.getSideOutput(GraphResult.DEAD_LETTERS));
        }
        return new Attached(routed, outcomes, deadLetters);
    }

    /**
     * A step's async operator on its model's shared batcher. Timeout 0, as for the one-step inference: the step's
     * timeout (or the safety net) and the retries are the function's own ({@code ModelCalls}).
     */
    private static DataStream<GraphRecord> run(GraphPlan plan, GraphPlan.Step step, DataStream<GraphRecord> gated,
            Context context) {
        GraphStepFunction function = new GraphStepFunction(plan, step.index, context.inference(),
                context.settings().preparers());
        return AsyncDataStream.unorderedWait(gated, function, 0, TimeUnit.MILLISECONDS,
                context.settings().asyncCapacity()).uid(plan.uid(step.index, null)).name(plan.name(step.index));
    }

    /** What comes before a node: a gate after one branch, a keyed join after several; the outputs need no gate. */
    private static DataStream<GraphRecord> gate(GraphPlan plan, int node, Map<Integer, DataStream<GraphRecord>> outOf,
            TopologySettings settings) {
        int[] feeds = plan.feeds(node);
        boolean progress = settings.graphProgress();
        if (feeds.length <= 1) {
            DataStream<GraphRecord> in = outOf.get(feeds.length == 0 ? GraphPlan.INPUT : feeds[0]);
            if (node == plan.output()) {
                return in;
            }
            // Entry steps are announced by the router, behind the request's ACCEPTED.
            boolean announce = progress && feeds.length > 0;
            return in.process(new StepGate(plan, node, announce)).uid(plan.uid(node, "gate"))
                    .name(plan.name(node) + " (when)");
        }
        DataStream<GraphRecord> in = outOf.get(feeds[0]);
        for (int i = 1; i < feeds.length; i++) {
            in = in.union(outOf.get(feeds[i]));
        }
        // Every branch stayed on the subtask its request ID was admitted on: keyed as it is, no shuffle.
        Duration ttl = settings.stateTtl();
        return DataStreamUtils.reinterpretAsKeyedStream(in, r -> r.id, Types.STRING)
                .process(new StepJoin(plan, node, progress, ttl)).uid(plan.uid(node, "join"))
                .name(plan.name(node) + " (join)");
    }

    @Override
    public String toString() {
        return "graphs " + plans;
    }
}
