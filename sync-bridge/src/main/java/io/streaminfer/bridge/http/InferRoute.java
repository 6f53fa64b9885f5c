package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.SyncInference;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.contract.InferenceException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /v2/models/{name}[/versions/{v}]/infer}: checks the request (JSON or binary-framed), hands it to
 * {@link SyncInference}, and answers with the result that carries its job ID, binary-framed with
 * {@code Inference-Header-Content-Length} when the request asked for binary outputs. A 504 names the job ID, so the
 * result stays fetchable at {@code /v1/jobs/{id}}.
 */
final class InferRoute {
    private final RequestIntake intake;
    private final SyncInference sync;
    private final long defaultTimeoutMs;
    private final long maxTimeoutMs;
    private final int retryAfterSeconds;

    InferRoute(RequestIntake intake, SyncInference sync, long defaultTimeoutMs, long maxTimeoutMs,
            int retryAfterSeconds) {
        this.intake = intake;
        this.sync = sync;
        this.defaultTimeoutMs = defaultTimeoutMs;
        this.maxTimeoutMs = maxTimeoutMs;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    void mount(Router r) {
        r.post("/v2/models/:name/infer").handler(this::infer);
        r.post("/v2/models/:name/versions/:version/infer").handler(this::infer);
    }

    private void infer(RoutingContext ctx) {
        CheckedRequest checked = intake.accept(ctx, "infer");
        if (checked == null) {
            return;
        }
        long timeoutMs;
        try {
            timeoutMs = RequestIntake.timeoutMs(ctx, checked.request(), defaultTimeoutMs, maxTimeoutMs);
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
            return;
        }
        if (!intake.admit(ctx, timeoutMs)) {
            return; // not at the door for a job that restarts: the call waits for it, up to its timeout
        }
        SyncInference.Call call = sync.start(checked, timeoutMs);
        if (call == null) {
            ctx.response().putHeader("Retry-After", Integer.toString(retryAfterSeconds));
            Replies.error(ctx, 429, "too many requests in flight on this bridge replica; retry after "
                    + retryAfterSeconds + " s");
            return;
        }
        ctx.response().closeHandler(v -> call.cancel()); // the caller hung up: stop waiting for it
        call.outcome().thenAccept(o -> answer(ctx, call.jobId(), o));
    }

    private void answer(RoutingContext ctx, String jobId, SyncInference.Outcome o) {
        ctx.response().putHeader("X-Job-Id", jobId);
        switch (o.kind()) {
            case ANSWERED:
                Reply r = o.reply();
                String timing = serverTiming(r);
                if (timing != null) {
                    ctx.response().putHeader("Server-Timing", timing);
                }
                int status = r.isSuccess() ? 200 : r.errorCode().httpStatus();
                if (r.isBinary()) {
                    Replies.binary(ctx, status, r.body(), r.headerLength());
                } else {
                    Replies.json(ctx, status, r.body());
                }
                break;
            case TIMED_OUT:
                ObjectNode t = Replies.object();
                t.put("error", "no result within " + o.timeoutMs() + " ms, the request's deadline; its final state (the "
                        + "result, or EXPIRED if the job had not started it in time) will be at /v1/jobs/" + jobId);
                t.put("job_id", jobId);
                t.put("status_url", "/v1/jobs/" + jobId);
                Replies.json(ctx, 504, t);
                break;
            case PUBLISH_FAILED:
                Replies.error(ctx, 503, "could not hand the request to Kafka: " + o.error().getMessage());
                break;
            case CANCELLED:
                break;
            default:
                Replies.error(ctx, 500, "internal error: " + o.error().getMessage());
                break;
        }
    }

    /**
     * The job's own share of the call as a W3C {@code Server-Timing} header ({@code queue} in the batcher, {@code
     * model} for its batch, in ms), so a caller can tell the model's time from the transport's; null when the job
     * did not say.
     */
    static String serverTiming(Reply r) {
        StringBuilder b = new StringBuilder();
        if (r.queueUs() >= 0) {
            b.append("queue;dur=").append(millis(r.queueUs()));
        }
        if (r.computeUs() >= 0) {
            b.append(b.length() > 0 ? ", " : "").append("model;dur=").append(millis(r.computeUs()));
        }
        return b.length() == 0 ? null : b.toString();
    }

    /** Plain decimal milliseconds (never exponent notation), as Server-Timing's {@code dur} wants. */
    private static String millis(long micros) {
        return String.format(java.util.Locale.ROOT, "%.3f", micros / 1000.0);
    }
}
