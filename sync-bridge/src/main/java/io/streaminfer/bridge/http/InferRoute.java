package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.contract.InferenceException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v2/models/{name}[/versions/{v}]/infer}: checks the request, publishes it under a fresh job ID with
 * this replica's reply routing, and answers with the result that carries that job ID. The caller's wait holds no
 * thread: a future completed by the {@link ReplyRouter}, a timer for the timeout. A 504 names the job ID, so the
 * result stays fetchable at {@code /v1/jobs/{id}}.
 */
final class InferRoute {
    private static final Logger LOG = LoggerFactory.getLogger(InferRoute.class);

    private final Vertx vertx;
    private final RequestIntake intake;
    private final RequestPublisher publisher;
    private final ReplyRouter router;
    private final Admission admission;
    private final BridgeMetrics metrics;
    private final long defaultTimeoutMs;
    private final long maxTimeoutMs;
    private final int retryAfterSeconds;

    InferRoute(Vertx vertx, RequestIntake intake, RequestPublisher publisher, ReplyRouter router, Admission admission, BridgeMetrics metrics, long defaultTimeoutMs,
            long maxTimeoutMs, int retryAfterSeconds) {
        this.vertx = vertx;
        this.intake = intake;
        this.publisher = publisher;
        this.router = router;
        this.admission = admission;
        this.metrics = metrics;
        this.defaultTimeoutMs = defaultTimeoutMs;
        this.maxTimeoutMs = maxTimeoutMs;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    void mount(Router r) {
        r.post("/v2/models/:name/infer").handler(this::infer);
        r.post("/v2/models/:name/versions/:version/infer").handler(this::infer);
    }

    private void infer(RoutingContext ctx) {
        RequestIntake.Checked checked = intake.accept(ctx, "infer");
        if (checked == null) {
            return;
        }
        String model = checked.version.name();
        long timeoutMs;
        try {
            timeoutMs = RequestIntake.timeoutMs(ctx, checked.request, defaultTimeoutMs, maxTimeoutMs);
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
            return;
        }
        if (!admission.tryAcquire()) {
            metrics.shed();
            ctx.response().putHeader("Retry-After", Integer.toString(retryAfterSeconds));
            Replies.error(ctx, 429, "too many requests in flight on this bridge replica; retry after "
                    + retryAfterSeconds + " s");
            return;
        }
        int replyPartition = router.nextPartition();
        String jobId = JobIds.sync(replyPartition);
        Context context = vertx.getOrCreateContext();
        CompletableFuture<Reply> reply = router.register(jobId);
        ctx.response().closeHandler(v -> reply.cancel(false)); // the caller hung up: stop waiting for it
        RequestPublisher.Routing routing = RequestPublisher.Routing.of(model, ctx.pathParam("version"))
                .replyTo(router.replicaId(), replyPartition)
                .deadline(System.currentTimeMillis() + timeoutMs);
        CompletableFuture<Void> published = publisher.publish(jobId, checked.body, routing);
        published.whenComplete((ok, error) -> {
            if (error != null) {
                reply.completeExceptionally(new PublishFailed(error));
            }
        });
        // A 504 promises the job ID will yield a result: give it only once the brokers have the request. While the
        // publish is still pending the caller waits for its outcome (at most the producer's delivery timeout).
        long timer = vertx.setTimer(timeoutMs, t -> published.thenRun(
                () -> reply.completeExceptionally(new TimeoutException())));
        reply.whenComplete((result, error) -> context.runOnContext(v -> {
            vertx.cancelTimer(timer);
            router.forget(jobId);
            admission.release();
            answer(ctx, model, jobId, timeoutMs, result, error);
        }));
    }

    private void answer(RoutingContext ctx, String model, String jobId, long timeoutMs, Reply result,
            Throwable error) {
        ctx.response().putHeader("X-Job-Id", jobId);
        if (error == null) {
            Replies.json(ctx, result.isSuccess() ? 200 : result.errorCode().httpStatus(), result.body());
            return;
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof TimeoutException) {
            metrics.timeout(model);
            LOG.info("Sync call {} timed out after {} ms; the job continues", jobId, timeoutMs);
            ObjectNode o = Replies.object();
            o.put("error", "no result within " + timeoutMs + " ms; the request is still being processed: fetch "
                    + "its result at /v1/jobs/" + jobId);
            o.put("job_id", jobId);
            o.put("status_url", "/v1/jobs/" + jobId);
            Replies.json(ctx, 504, o);
        } else if (cause instanceof PublishFailed) {
            LOG.warn("Could not publish request {}: {}", jobId, cause.getCause().toString());
            Replies.error(ctx, 503, "could not hand the request to Kafka: " + cause.getCause().getMessage());
        } else if (cause instanceof CancellationException) {
            LOG.debug("Caller of {} went away", jobId);
        } else {
            LOG.warn("Sync call {} failed", jobId, cause);
            Replies.error(ctx, 500, "internal error: " + cause.getMessage());
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
