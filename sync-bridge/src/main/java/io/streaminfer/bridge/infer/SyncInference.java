package io.streaminfer.bridge.infer;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.tracing.BridgeTracing;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sync call, whatever the transport (HTTP or gRPC): bounded admission, a fresh job ID with this replica's reply
 * routing, publish, and the wait for the result that carries that job ID. The wait holds no thread: a future the
 * {@link ReplyRouter} completes, a Vert.x timer for the timeout. A timeout is reported only once the brokers have
 * the request, so the job ID it names will yield a result.
 *
 * <pre>{@code
 * SyncInference.Call call = sync.start(checked, timeoutMs);   // on a Vert.x context; null: shed
 * call.outcome().thenAccept(o -> answer(o));                  // completes on the same context
 * }</pre>
 */
public final class SyncInference {
    private static final Logger LOG = LoggerFactory.getLogger(SyncInference.class);

    private final Vertx vertx;
    private final RequestPublisher publisher;
    private final ReplyRouter router;
    private final BridgeMetrics metrics;
    private final ModelStats stats;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Null: tracing off. */
    private final BridgeTracing tracing;
    private final String resultsTopic;

    public SyncInference(Vertx vertx, RequestPublisher publisher, ReplyRouter router, BridgeMetrics metrics,
            ModelStats stats, int maxInFlight) {
        this(vertx, publisher, router, metrics, stats, maxInFlight, null, null);
    }

    /**
     * @param tracing traces each call: its server span, and its reply read from {@code resultsTopic} (the publish
     *     span is the publisher's); null: off
     */
    public SyncInference(Vertx vertx, RequestPublisher publisher, ReplyRouter router, BridgeMetrics metrics,
            ModelStats stats, int maxInFlight, BridgeTracing tracing, String resultsTopic) {
        this.tracing = tracing;
        this.resultsTopic = resultsTopic;
        this.vertx = vertx;
        this.publisher = publisher;
        this.router = router;
        this.metrics = metrics;
        this.stats = stats;
        this.maxInFlight = maxInFlight;
    }

    /** How a call ended. */
    public enum Kind { ANSWERED, TIMED_OUT, PUBLISH_FAILED, CANCELLED, FAILED }

    /** @param reply set when {@link Kind#ANSWERED}; {@code error} the cause otherwise */
    public record Outcome(Kind kind, Reply reply, Throwable error, long timeoutMs) {}

    /** A call in flight. */
    public static final class Call {
        private final String jobId;
        private final CompletableFuture<Reply> reply;
        private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

        Call(String jobId, CompletableFuture<Reply> reply) {
            this.jobId = jobId;
            this.reply = reply;
        }

        public String jobId() {
            return jobId;
        }

        /** Completes on the context that started the call. */
        public CompletableFuture<Outcome> outcome() {
            return outcome;
        }

        /** The caller went away: stop waiting (the request itself goes on in the job). */
        public void cancel() {
            reply.cancel(false);
        }
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Starts a call; null when this replica already has {@code maxInFlight} calls waiting (shed the caller). */
    public Call start(CheckedRequest checked, long timeoutMs) {
        if (!tryAcquire()) {
            metrics.shed();
            return null;
        }
        long started = System.nanoTime();
        int replyPartition = router.nextPartition();
        String jobId = JobIds.sync(replyPartition);
        Context context = vertx.getOrCreateContext();
        CompletableFuture<Reply> reply = router.register(jobId);
        Call call = new Call(jobId, reply);
        RequestPublisher.Routing routing = checked.routing().replyTo(router.replicaId(), replyPartition)
                .deadline(System.currentTimeMillis() + timeoutMs);
        Span span = tracing == null ? null : callSpan(checked, jobId, routing);
        CompletableFuture<Void> published = publisher.publish(jobId, checked.body(), routing);
        published.whenComplete((ok, error) -> {
            if (error != null) {
                reply.completeExceptionally(new PublishFailed(error));
            }
        });
        long timer = vertx.setTimer(timeoutMs, t -> published.thenRun(
                () -> reply.completeExceptionally(new TimeoutException())));
        reply.whenComplete((result, error) -> context.runOnContext(v -> {
            vertx.cancelTimer(timer);
            router.forget(jobId);
            inFlight.decrementAndGet();
            Outcome o = outcome(result, error, timeoutMs);
            record(checked, o, System.nanoTime() - started, jobId);
            if (span != null) {
                traced(span, o);
            }
            call.outcome.complete(o);
        }));
        return call;
    }

    /** The call's server span; what the request record continues from (the publisher's span is its child). */
    private Span callSpan(CheckedRequest checked, String jobId, RequestPublisher.Routing routing) {
        Span span = tracing.server("infer " + checked.model(), checked.trace());
        span.setAttribute(BridgeTracing.MODEL, checked.model());
        span.setAttribute(BridgeTracing.JOB_ID, jobId);
        routing.trace(BridgeTracing.contextOf(span, checked.trace()));
        return span;
    }

    /** The reply's consumer span, and the call's end. */
    private void traced(Span call, Outcome o) {
        if (o.kind() == Kind.ANSWERED) {
            Span reply = tracing.reply(resultsTopic, call, o.reply().traceparent());
            if (!o.reply().isSuccess()) {
                reply.setAttribute(BridgeTracing.ERROR_CODE, o.reply().errorCode().name());
            }
            reply.end();
        }
        call.setAttribute(BridgeTracing.OUTCOME, o.kind().name());
        if (o.kind() != Kind.ANSWERED || !o.reply().isSuccess()) {
            call.setStatus(StatusCode.ERROR, o.kind() == Kind.ANSWERED ? o.reply().errorCode().name()
                    : o.kind().name());
        }
        call.end();
    }

    private boolean tryAcquire() {
        while (true) {
            int n = inFlight.get();
            if (n >= maxInFlight) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private static Outcome outcome(Reply result, Throwable error, long timeoutMs) {
        if (error == null) {
            return new Outcome(Kind.ANSWERED, result, null, timeoutMs);
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof TimeoutException) {
            return new Outcome(Kind.TIMED_OUT, null, cause, timeoutMs);
        }
        if (cause instanceof PublishFailed) {
            return new Outcome(Kind.PUBLISH_FAILED, null, cause.getCause(), timeoutMs);
        }
        if (cause instanceof CancellationException) {
            return new Outcome(Kind.CANCELLED, null, cause, timeoutMs);
        }
        return new Outcome(Kind.FAILED, null, cause, timeoutMs);
    }

    private void record(CheckedRequest c, Outcome o, long nanos, String jobId) {
        String model = c.model();
        String version = c.version().version();
        switch (o.kind()) {
            case ANSWERED:
                if (o.reply().isSuccess()) {
                    stats.success(model, version, c.request().rows(), nanos, o.reply().queueUs(),
                            o.reply().computeUs());
                } else {
                    stats.failure(model, version, nanos);
                }
                break;
            case TIMED_OUT:
                metrics.timeout(model);
                stats.failure(model, version, nanos);
                LOG.info("Sync call {} timed out after {} ms; the job continues", jobId, o.timeoutMs());
                break;
            case PUBLISH_FAILED:
                stats.failure(model, version, nanos);
                LOG.warn("Could not publish request {}: {}", jobId, o.error().toString());
                break;
            case CANCELLED:
                LOG.debug("Caller of {} went away", jobId);
                break;
            default:
                stats.failure(model, version, nanos);
                LOG.warn("Sync call {} failed", jobId, o.error());
                break;
        }
    }

    /** The brokers did not take the request. */
    static final class PublishFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PublishFailed(Throwable cause) {
            super(cause);
        }
    }
}
