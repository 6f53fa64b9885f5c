package io.streaminfer.flink.graph;

import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.GraphStep;
import io.streaminfer.flink.records.GraphRecord;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Before a node fed by several branches (fan-in): keyed by request ID, it holds what arrived of each request in
 * RocksDB keyed state and lets the request go on when the node can run. {@code join: all} (the default, and always
 * for the graph's outputs) waits for every branch, merging their tensors and step states (a failure in any branch
 * fails the request). {@code join: first} goes on as soon as the branches so far give the step's inputs and its
 * condition holds; later branches are counted and dropped, and a failed branch only counts if no branch gives the
 * inputs. The state is cleared once every branch arrived. Every branch emits one record per request (ran, skipped
 * or failed), so nothing waits forever; the state TTL bounds it anyway.
 */
@Internal
public class StepJoin extends KeyedProcessFunction<String, GraphRecord, GraphRecord> {
    private static final long serialVersionUID = 1L;

    private final GraphPlan plan;
    private final int node;
    private final boolean announce;
    private final Duration ttl;
    private transient ValueState<JoinState> state;

    public StepJoin(GraphPlan plan, int node, boolean announce, Duration ttl) {
        this.plan = plan;
        this.node = node;
        this.announce = announce;
        this.ttl = ttl;
        if (plan.feeds(node).length < 2) {
            throw new IllegalArgumentException(plan.name(node) + " is fed by one branch: it needs a StepGate");
        }
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<JoinState> d = new ValueStateDescriptor<>("join", JoinState.class);
        d.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupInRocksdbCompactFilter(1000)
                .build());
        state = getRuntimeContext().getState(d);
    }

    private boolean first() {
        return node != plan.output() && plan.step(node).join == GraphStep.Join.FIRST;
    }

    @Override
    public void processElement(GraphRecord r, Context ctx, Collector<GraphRecord> out) throws Exception {
        if (r.isProgress()) {
            if (Gate.passesProgress(plan, node, r)) {
                out.collect(r);
            }
            return;
        }
        if (!Gate.fits(plan, r)) {
            Gate.admit(plan, node, r, announce, out); // fails it: nothing of it can be merged
            return;
        }
        int branches = plan.feeds(node).length;
        JoinState s = state.value();
        if (s == null) {
            s = new JoinState();
        }
        s.arrived++;
        if (!s.emitted) {
            if (first() && r.failed()) {
                if (s.failure == null) {
                    s.failure = r;
                }
            } else {
                s.merged = s.merged == null ? r : merge(s.merged, r);
            }
            GraphRecord ready = null;
            if (first() && s.merged != null && !s.merged.failed()
                    && Gate.runs(plan.step(node), GraphTensors.decode(s.merged.tensors))) {
                ready = s.merged;
            } else if (s.arrived >= branches) {
                ready = s.merged != null ? s.merged : s.failure;
                if (first() && s.failure != null && s.merged != null) {
                    ready = s.failure; // no branch gave the inputs, and one failed: that failure is the answer
                }
            }
            if (ready != null) {
                s.emitted = true;
                s.merged = null;
                s.failure = null;
                Gate.admit(plan, node, ready, announce, out);
            }
        }
        if (s.arrived >= branches) {
            state.clear();
        } else {
            state.update(s);
        }
    }

    /** The tensors and step states of both; the first failure fails the merged request. */
    static GraphRecord merge(GraphRecord into, GraphRecord from) {
        GraphRecord m = into.copy();
        Map<String, Tensor> tensors = GraphTensors.decode(into.tensors);
        GraphTensors.decode(from.tensors).forEach(tensors::putIfAbsent);
        m.tensors = GraphTensors.encode(tensors);
        for (int i = 0; i < m.steps.length; i++) {
            if (m.steps[i] == GraphRecord.NOT_REACHED) {
                m.steps[i] = from.steps[i];
                m.queueMicros[i] = from.queueMicros[i];
                m.modelMicros[i] = from.modelMicros[i];
            }
        }
        if (!m.failed() && from.failed()) {
            m.errorCode = from.errorCode;
            m.reason = from.reason;
            m.failedStep = from.failedStep;
        }
        return m;
    }
}
