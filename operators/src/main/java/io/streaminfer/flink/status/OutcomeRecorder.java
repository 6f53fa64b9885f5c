package io.streaminfer.flink.status;

import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.StatusUpdate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by request ID: records each request's final outcome once. The first final outcome of an ID is stored,
 * published as the result and as the one final status; a later one (possible only through a duplicate) is dropped.
 * A replay publishes the stored result again (never a status), or nothing while the request is still running: its
 * own result will carry the ID. Every status record of a request leaves from here, in order: ACCEPTED, then the
 * final one.
 */
public class OutcomeRecorder extends KeyedProcessFunction<String, Outcome, Outcome> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<StatusUpdate> STATUS = new OutputTag<>("final-status") {};

    private final Duration stateTtl;
    private transient ValueState<Outcome> finalOutcome;
    private transient Map<String, Map<RequestState, Counter>> finalCounts;
    private transient Map<String, Histogram> latency;
    private transient Counter replaysAnswered;
    private transient Counter replaysInFlight;
    private transient Counter duplicateFinals;

    public OutcomeRecorder(Duration stateTtl) {
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Outcome> d = new ValueStateDescriptor<>("final-outcome", Outcome.class);
        d.enableTimeToLive(AdmissionTracker.StatusTtl.config(stateTtl));
        finalOutcome = getRuntimeContext().getState(d);
        finalCounts = new HashMap<>();
        latency = new HashMap<>();
        MetricGroup g = getRuntimeContext().getMetricGroup();
        replaysAnswered = g.counter("replaysAnswered");
        replaysInFlight = g.counter("replaysWhileInFlight");
        duplicateFinals = g.counter("duplicateFinalOutcomesDropped");
    }

    @Override
    public void processElement(Outcome o, Context ctx, Collector<Outcome> out) throws Exception {
        Outcome stored = finalOutcome.value();
        if (o.isProgress()) {
            // Published only while nothing is final, so no progress record can land after the final one.
            if (stored == null) {
                ctx.output(STATUS, StatusUpdate.of(o));
            }
            return;
        }
        if (o.replay) {
            if (stored == null) {
                replaysInFlight.inc();
                return;
            }
            replaysAnswered.inc();
            Outcome again = stored.copy();
            again.replay = true;
            again.replyTo = o.replyTo;
            again.replyPartition = o.replyPartition;
            again.callbackUrl = null;
            out.collect(again);
            return;
        }
        if (stored != null) {
            duplicateFinals.inc();
            return;
        }
        finalOutcome.update(o);
        out.collect(o);
        ctx.output(STATUS, StatusUpdate.of(o));
        String model = o.model == null ? "unknown" : o.model;
        finalCounts.computeIfAbsent(model, m -> new HashMap<>())
                .computeIfAbsent(o.state, s -> modelGroup(model).counter(s.name().toLowerCase(java.util.Locale.ROOT)))
                .inc();
        if (o.producedAt > 0) {
            latency.computeIfAbsent(model, m -> modelGroup(m).histogram("endToEndLatencyMs",
                    new DescriptiveStatisticsHistogram(10_000))).update(o.finishedAt - o.producedAt);
        }
    }

    private MetricGroup modelGroup(String model) {
        return getRuntimeContext().getMetricGroup().addGroup("model", model);
    }
}
