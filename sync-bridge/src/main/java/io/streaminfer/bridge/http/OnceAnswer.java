package io.streaminfer.bridge.http;

import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiConsumer;

/**
 * An unstreamed sync generation answered in one body, whatever its shape: 429 when the replica sheds it, a cancel
 * when the client leaves first, {@code X-Job-Id} on the answer.
 */
final class OnceAnswer {
    private OnceAnswer() {}

    /** {@code answer} gets the call and its end, on the request's context. */
    static void run(RoutingContext ctx, GenerationCalls calls, CheckedRequest checked, long timeoutMs,
            int retryAfterSeconds, BiConsumer<GenerationCalls.Once, GenerationEnd> answer) {
        GenerationCalls.Once call = calls.once(checked, timeoutMs);
        if (call == null) {
            Replies.shed(ctx, retryAfterSeconds, Replies.TOO_MANY);
            return;
        }
        ctx.addEndHandler(ar -> {
            if (ar.failed()) {
                call.abandon(); // the client went away before its answer
            }
        });
        call.end().thenAccept(end -> {
            if (end != null) {
                ctx.response().putHeader("X-Job-Id", call.jobId());
                answer.accept(call, end);
            }
        });
    }
}
