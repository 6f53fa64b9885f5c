package io.streaminfer.bridge.http;

import io.streaminfer.bridge.infer.StreamSlots;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every route that answers with a stream shares: the replica's bound on open streams (429 with Retry-After
 * beyond it) and the keep-alive interval of its event streams.
 */
record StreamAdmission(Vertx vertx, StreamSlots slots, long keepAliveMs, int retryAfterSeconds,
        BridgeMetrics metrics) {
    /**
     * Takes a stream slot for {@code ctx}'s response until it ends or its connection closes; answers 429 (and
     * false) when all are taken.
     */
    boolean admit(RoutingContext ctx) {
        if (!slots.tryOpen()) {
            metrics.streamRefused();
            Replies.shed(ctx, retryAfterSeconds, "this bridge replica has " + slots.max() + " streams open, its "
                    + "limit (streams.max-open)");
            return false;
        }
        AtomicBoolean released = new AtomicBoolean();
        ctx.addEndHandler(v -> {
            if (released.compareAndSet(false, true)) {
                slots.close();
            }
        });
        return true;
    }

    /** Opens {@code ctx}'s event stream; {@code onClientGone} runs when the client leaves before its end. */
    Sse open(RoutingContext ctx, Runnable onClientGone) {
        return Sse.open(vertx, ctx, keepAliveMs, onClientGone);
    }
}
