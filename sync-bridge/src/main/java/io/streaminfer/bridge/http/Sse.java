package io.streaminfer.bridge.http;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * One server-sent event stream: its head, its events, and a {@code :} comment line whenever it has been idle for the
 * keep-alive interval (clients and proxies drop idle connections; every SSE parser, the official OpenAI clients'
 * included, ignores comment lines). Data is JSON written by Jackson, so one line per event.
 *
 * <pre>{@code
 * Sse sse = Sse.open(vertx, ctx, 15_000, () -> generation.abandon());
 * sse.event("token", "3", json);
 * sse.end();
 * }</pre>
 */
final class Sse {
    private final Vertx vertx;
    private final HttpServerResponse response;
    private final long keepAliveMs;
    private final long timer;
    private long lastWrite = System.nanoTime();
    private boolean ended;

    private Sse(Vertx vertx, HttpServerResponse response, long keepAliveMs) {
        this.vertx = vertx;
        this.response = response;
        this.keepAliveMs = keepAliveMs;
        this.timer = vertx.setPeriodic(Math.max(50, keepAliveMs / 2), t -> keepAlive());
    }

    /**
     * Writes the head (200, text/event-stream) and starts the keep-alives; call on the response's context.
     * {@code onClientGone} runs when the connection closes before {@link #end()} (the routing context's end
     * handlers say so: a response's own close handler would replace theirs).
     */
    static Sse open(Vertx vertx, RoutingContext ctx, long keepAliveMs, Runnable onClientGone) {
        HttpServerResponse response = ctx.response();
        response.setChunked(true).setStatusCode(200)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no"); // let proxies pass events at once
        Sse sse = new Sse(vertx, response, keepAliveMs);
        ctx.addEndHandler(ar -> {
            boolean open = !sse.ended;
            sse.stop();
            if (open && ar.failed()) {
                onClientGone.run();
            }
        });
        return sse;
    }

    private void keepAlive() {
        if (System.nanoTime() - lastWrite >= keepAliveMs * 1_000_000L) {
            write(": keep-alive\n\n");
        }
    }

    /** An unnamed event (what OpenAI's and Triton's streams send). */
    void data(String json) {
        write("data: " + json + "\n\n");
    }

    /** A named event, with an id when not null (what a reconnecting client sends back as Last-Event-ID). */
    void event(String name, String id, String json) {
        write((id == null ? "" : "id: " + id + "\n") + "event: " + name + "\ndata: " + json + "\n\n");
    }

    private void write(String text) {
        if (ended || response.ended() || response.closed()) {
            return;
        }
        lastWrite = System.nanoTime();
        response.write(Buffer.buffer(text));
    }

    boolean isOpen() {
        return !ended && !response.ended() && !response.closed();
    }

    /** Ends the stream (the response too). */
    void end() {
        stop();
        if (!response.ended() && !response.closed()) {
            response.end();
        }
    }

    private void stop() {
        if (!ended) {
            ended = true;
            vertx.cancelTimer(timer);
        }
    }
}
