package io.streaminfer.bridge.http;

import io.streaminfer.bridge.infer.MemoryBudget;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Before a POST body is buffered: reserves its size (Content-Length, or the body limit when the length is not
 * announced) in the replica's {@link MemoryBudget} until the answer is sent. When the budget is spent the body is
 * read and dropped, never buffered, and the caller gets 429 with {@code Retry-After}. Bodies over the limit pass on
 * to the body handler, which answers 413.
 */
final class BodyBudget implements Handler<RoutingContext> {
    private final MemoryBudget budget;
    private final int maxBodyBytes;
    private final int retryAfterSeconds;
    private final BridgeMetrics metrics;

    BodyBudget(MemoryBudget budget, int maxBodyBytes, int retryAfterSeconds, BridgeMetrics metrics) {
        this.budget = budget;
        this.maxBodyBytes = maxBodyBytes;
        this.retryAfterSeconds = retryAfterSeconds;
        this.metrics = metrics;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        long size = maxBodyBytes;
        String length = request.getHeader("Content-Length");
        if (length != null) {
            try {
                size = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                size = maxBodyBytes;
            }
        }
        if (size > maxBodyBytes) {
            ctx.next();
            return;
        }
        long reserved = size;
        if (budget.tryReserve(reserved)) {
            ctx.addEndHandler(v -> budget.release(reserved));
            ctx.next();
            return;
        }
        metrics.shed();
        // Read the body to its end without keeping it, then answer: clients that send the whole body before
        // reading the response still see the 429.
        Runnable refuse = () -> {
            Replies.shed(ctx, retryAfterSeconds, "this bridge replica holds " + budget.held() + " bytes of requests "
                    + "(its budget is " + budget.max() + ")");
        };
        if (request.isEnded()) {
            refuse.run();
            return;
        }
        request.handler(chunk -> { });
        request.endHandler(v -> refuse.run());
        request.resume();
    }
}
