package io.streaminfer.flink.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.streaminfer.flink.records.Outcome;

/**
 * The span {@code publish <model>} of a request's final outcome as it is handed to the results and status sinks (a
 * producer's, OpenTelemetry's messaging conventions): the outcome's records then carry this span's context, so a
 * consumer of the results topic continues the trace from it.
 */
public final class PublishSpans {
    private PublishSpans() {}

    /** Records the span, and makes it the outcome's trace context when it is sampled. */
    public static void published(JobTracing tracing, Outcome o) {
        Span span = tracing.startChild("publish " + o.model, SpanKind.PRODUCER, o.traceparent, o.tracestate,
                JobTracing.nowNanos());
        if (!span.getSpanContext().isSampled()) {
            span.end();
            return;
        }
        span.setAttribute(SpanAttributes.MESSAGING_SYSTEM, "kafka");
        span.setAttribute(SpanAttributes.MESSAGING_OPERATION, "send");
        span.setAttribute(SpanAttributes.REQUEST_ID, o.id);
        span.setAttribute(SpanAttributes.MODEL, o.model);
        if (o.state != null) {
            span.setAttribute(SpanAttributes.STATE, o.state.name());
        }
        if (o.errorCode != null) {
            span.setAttribute(SpanAttributes.ERROR_CODE, o.errorCode.name());
            span.setStatus(StatusCode.ERROR, o.errorCode.name());
        }
        o.traceparent = JobTracing.traceparent(span.getSpanContext());
        span.end();
    }
}
