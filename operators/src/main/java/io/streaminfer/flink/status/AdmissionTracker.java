package io.streaminfer.flink.status;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by request ID: admits each ID once. The first request with an ID is {@code ACCEPTED} and goes on to the
 * model, unless its deadline has already passed ({@code EXPIRED}, no model time spent). A later request with the same
 * ID is not run again: it becomes a replay, answered from the stored result once there is one.
 */
public class AdmissionTracker extends KeyedProcessFunction<String, RequestEnvelope, RequestEnvelope> {
    private static final long serialVersionUID = 1L;
    /**
     * What is decided here, for the OutcomeRecorder: ACCEPTED progress events, expired requests and replays of
     * duplicates. One path per key keeps a request's status records in order.
     */
    public static final OutputTag<Outcome> DECIDED = new OutputTag<>("admission-decided") {};

    private final Duration stateTtl;
    private transient ValueState<Boolean> seen;
    private transient Counter duplicates;
    private transient Counter expired;

    public AdmissionTracker(Duration stateTtl) {
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Boolean> d = new ValueStateDescriptor<>("admitted", Boolean.class);
        d.enableTimeToLive(StatusTtl.config(stateTtl));
        seen = getRuntimeContext().getState(d);
        duplicates = getRuntimeContext().getMetricGroup().counter("duplicateRequests");
        expired = getRuntimeContext().getMetricGroup().counter("expiredBeforeQueue");
    }

    @Override
    public void processElement(RequestEnvelope r, Context ctx, Collector<RequestEnvelope> out) throws Exception {
        long now = System.currentTimeMillis();
        if (seen.value() != null) {
            duplicates.inc();
            ctx.output(DECIDED, Outcomes.replay(r, now));
            return;
        }
        seen.update(Boolean.TRUE);
        ctx.output(DECIDED, Outcomes.accepted(r, now));
        if (now > r.deadlineMs) {
            expired.inc();
            ctx.output(DECIDED, Outcomes.failure(r, ErrorCode.DEADLINE_EXCEEDED, "deadline passed "
                    + (now - r.deadlineMs) + " ms before the request reached the pipeline; the model was not run",
                    now));
            return;
        }
        out.collect(r);
    }

    /** State TTL shared by the trackers. */
    static final class StatusTtl {
        private StatusTtl() {}

        static StateTtlConfig config(Duration ttl) {
            return StateTtlConfig.newBuilder(ttl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .cleanupInRocksdbCompactFilter(1000)
                    .build();
        }
    }
}
