package io.streaminfer.flink.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.streaminfer.flink.records.GraphRecord;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;

/**
 * A graph step's result future that, when the step completes, records its span {@code step <graph>/<step>}: a child
 * of the request's trace, from the step's start to its end, failed when the step failed. While it runs, the request
 * is linkable by the batch span of the model call it joins.
 */
public final class TracedStep implements ResultFuture<GraphRecord> {
    private final ResultFuture<GraphRecord> delegate;
    private final JobTracing tracing;
    private final GraphRecord request;
    private final String name;
    private final String model;
    private final long startNanos;

    private TracedStep(ResultFuture<GraphRecord> delegate, JobTracing tracing, GraphRecord request, String name,
            String model) {
        this.delegate = delegate;
        this.tracing = tracing;
        this.request = request;
        this.name = name;
        this.model = model;
        this.startNanos = JobTracing.nowNanos();
    }

    /** {@code result}, traced when tracing is on and the request has a trace context; else {@code result} itself. */
    public static ResultFuture<GraphRecord> of(ResultFuture<GraphRecord> result, JobTracing tracing,
            GraphRecord request, String step, String model) {
        if (tracing == null || request.traceparent == null) {
            return result;
        }
        tracing.link(request.id, request.traceparent, request.tracestate);
        return new TracedStep(result, tracing, request, step, model);
    }

    @Override
    public void complete(Collection<GraphRecord> result) {
        ended(result.isEmpty() ? null : result.iterator().next(), null);
        delegate.complete(result);
    }

    @Override
    public void completeExceptionally(Throwable error) {
        ended(null, error);
        delegate.completeExceptionally(error);
    }

    @Override
    public void complete(CollectionSupplier<GraphRecord> supplier) {
        ended(null, null);
        delegate.complete(supplier);
    }

    private void ended(GraphRecord out, Throwable error) {
        tracing.unlink(request.id);
        Span span = tracing.startChild("step " + request.graph + "/" + name, SpanKind.INTERNAL, request.traceparent,
                request.tracestate, startNanos);
        span.setAttribute(SpanAttributes.REQUEST_ID, request.id);
        span.setAttribute(SpanAttributes.STEP, name);
        span.setAttribute(SpanAttributes.MODEL, model);
        if (error != null) {
            span.setStatus(StatusCode.ERROR, error.toString());
        } else if (out != null && out.errorCode != null) {
            span.setAttribute(SpanAttributes.ERROR_CODE, out.errorCode.name());
            span.setStatus(StatusCode.ERROR, out.errorCode.name());
        }
        span.end(JobTracing.nowNanos(), TimeUnit.NANOSECONDS);
    }
}
