package io.streaminfer.flink.status;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.tracing.JobTracing;
import io.streaminfer.tracing.TracingSettings;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by request ID: admits each ID once. The first request with an ID is {@code ACCEPTED} and goes on to the
 * model, unless its deadline has already passed ({@code EXPIRED}, no model time spent). A record the parser rejected
 * arrives carrying its FAILED outcome and claims its ID the same way. A later request with the same ID is not run
 * again: it becomes a replay, answered from the stored result once there is one.
 *
 * <p>What is decided here (progress, expiries, rejections, replays) leaves on the main output as envelopes that
 * carry their outcome ({@link RequestEnvelope#decided}), in order with the requests: the inference step passes them
 * through, so every outcome of a request reaches the outcome recorder on one path, in the same task (the rules the
 * topology keeps: {@code io.streaminfer.flink.topology}).
 */
@Internal
public class AdmissionTracker extends KeyedProcessFunction<String, RequestEnvelope, RequestEnvelope> {
    private static final long serialVersionUID = 2L;
    private static final AttributeKey<String> ADMISSION = AttributeKey.stringKey("streaminfer.admission");

    private final Duration stateTtl;
    private transient ValueState<Boolean> seen;
    private transient Counter duplicates;
    private transient Counter expired;
    private TracingSettings tracingSettings = TracingSettings.off();
    /** Null: tracing off. */
    private transient JobTracing tracing;

    public AdmissionTracker(Duration stateTtl) {
        this.stateTtl = stateTtl;
    }

    /** Traces each admission as a span {@code admit <model>} of the request's trace, saying what was decided. */
    public AdmissionTracker tracing(TracingSettings settings) {
        this.tracingSettings = Objects.requireNonNull(settings, "settings");
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        tracing = JobTracing.acquire(tracingSettings);
        ValueStateDescriptor<Boolean> d = new ValueStateDescriptor<>("admitted", Boolean.class);
        d.enableTimeToLive(StatusTtl.config(stateTtl));
        seen = getRuntimeContext().getState(d);
        duplicates = getRuntimeContext().getMetricGroup().counter("duplicateRequests");
        expired = getRuntimeContext().getMetricGroup().counter("expiredBeforeQueue");
    }

    @Override
    public void processElement(RequestEnvelope r, Context ctx, Collector<RequestEnvelope> out) throws Exception {
        if (tracing == null || r.traceparent == null) {
            admit(r, out);
            return;
        }
        Span span = tracing.startChild("admit " + r.model, SpanKind.INTERNAL, r.traceparent, r.tracestate,
                JobTracing.nowNanos());
        span.setAttribute(ADMISSION, admit(r, out));
        span.end();
    }

    /** Admits {@code r} or decides its outcome; returns what it decided (a span's attribute). */
    private String admit(RequestEnvelope r, Collector<RequestEnvelope> out) throws Exception {
        long now = System.currentTimeMillis();
        if (seen.value() != null) {
            duplicates.inc();
            Outcome replay = r.decided == null ? Outcomes.replay(r, now) : Outcomes.replayOf(r.decided, now);
            out.collect(RequestEnvelope.carrying(replay));
            return "duplicate";
        }
        seen.update(Boolean.TRUE);
        if (r.decided != null) { // rejected by the parser: its FAILED outcome is the ID's one final state
            out.collect(r);
            return "rejected";
        }
        out.collect(RequestEnvelope.carrying(Outcomes.accepted(r, now)));
        if (now > r.deadlineMs) {
            expired.inc();
            out.collect(RequestEnvelope.carrying(Outcomes.failure(r, ErrorCode.DEADLINE_EXCEEDED, "deadline passed "
                    + (now - r.deadlineMs) + " ms before the request reached the pipeline; the model was not run",
                    now)));
            return "expired";
        }
        out.collect(r);
        return "admitted";
    }

    @Override
    public void close() throws Exception {
        tracing = JobTracing.giveBack(tracing);
        super.close();
    }
}
