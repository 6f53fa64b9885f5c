package io.streaminfer.flink.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Span;
import io.streaminfer.batching.BatcherListener;
import io.streaminfer.contract.model.ModelVersion;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A batcher's listener that, besides its metrics listener, traces every model call that carried a traced request:
 * one span per call ({@code batch <model>}), a root of its own with a link to each traced request it carried (a
 * batch has many requests, a span one parent), kept whenever one of them is sampled. A call without a traced request
 * makes no span.
 */
public final class TracedBatches implements BatcherListener {
    public static final AttributeKey<Long> REQUESTS = AttributeKey.longKey("streaminfer.batch.requests");
    public static final AttributeKey<Long> ROWS = AttributeKey.longKey("streaminfer.batch.rows");
    public static final AttributeKey<Long> COST = AttributeKey.longKey("streaminfer.batch.cost");

    private final BatcherListener metrics;
    private final JobTracing tracing;
    private final ModelVersion model;
    private final String name;

    public TracedBatches(BatcherListener metrics, JobTracing tracing, ModelVersion model) {
        this.metrics = metrics;
        this.tracing = tracing;
        this.model = model;
        this.name = "batch " + model.name();
    }

    @Override
    public boolean wantsCalls() {
        return true;
    }

    @Override
    public void onCall(List<String> requestIds, int rows, long cost, long modelNanos, boolean failed) {
        SpanBuilder b = null;
        for (String id : requestIds) {
            SpanContext c = tracing.linkOf(id);
            if (c != null) {
                if (b == null) {
                    b = tracing.tracer().spanBuilder(name).setNoParent().setSpanKind(SpanKind.INTERNAL);
                }
                b.addLink(c);
            }
        }
        if (b == null) {
            return;
        }
        long end = JobTracing.nowNanos();
        Span span = b.setStartTimestamp(end - modelNanos, TimeUnit.NANOSECONDS)
                .setAttribute(SpanAttributes.MODEL, model.name())
                .setAttribute(SpanAttributes.MODEL_VERSION, model.version())
                .setAttribute(REQUESTS, (long) requestIds.size())
                .setAttribute(ROWS, (long) rows)
                .setAttribute(COST, cost)
                .startSpan();
        if (failed) {
            span.setStatus(StatusCode.ERROR, "model call failed");
        }
        span.end(end, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onBatch(int requests, int rows, long cost, long modelNanos) {
        metrics.onBatch(requests, rows, cost, modelNanos);
    }

    @Override
    public void onQueueWait(long nanos) {
        metrics.onQueueWait(nanos);
    }

    @Override
    public void onIsolationRetry(int requestsRerun) {
        metrics.onIsolationRetry(requestsRerun);
    }

    @Override
    public void onExpired() {
        metrics.onExpired();
    }

    @Override
    public void onWatchdog(int requests, long budgetNanos) {
        metrics.onWatchdog(requests, budgetNanos);
    }
}
