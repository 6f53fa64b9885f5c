package io.streaminfer.bridge.http;

import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * A streamed sync generation answered as server-sent events, whatever their shape (OpenAI's chunks, Triton's
 * generate_stream): the head goes out once the brokers have the request (a failure before that is a plain HTTP
 * error), then one event per piece of text, then the end; a client that leaves first cancels the generation. Runs
 * on the request's context.
 */
abstract class StreamedAnswer implements GenerationCalls.Sink {
    protected final RoutingContext ctx;
    private final StreamAdmission streams;
    private final String route;
    protected GenerationCalls.Streamed stream;
    protected Sse sse;

    StreamedAnswer(RoutingContext ctx, StreamAdmission streams, String route) {
        this.ctx = ctx;
        this.streams = streams;
        this.route = route;
    }

    /** Takes a stream slot (else answers 429) and starts the generation. */
    final void start(GenerationCalls calls, CheckedRequest checked, long timeoutMs) {
        if (!streams.admit(ctx)) {
            return;
        }
        stream = calls.stream(checked, timeoutMs, this);
        ctx.response().putHeader("X-Job-Id", stream.jobId());
        // From now, not from the head: a client may leave before the brokers have the request.
        ctx.addEndHandler(ar -> {
            if (ar.failed() && !stream.ended()) {
                stream.abandon();
                streams.metrics().streamEnded(route, "client_gone");
            }
        });
        started();
    }

    /** The generation has its job ID. */
    protected void started() {
    }

    /** The stream's head is out: write what precedes the text. */
    protected void opened() {
    }

    /** One piece of text. */
    protected abstract void text(String text);

    /** The last events of a stream that got under way. */
    protected abstract void finish(GenerationEnd end);

    /** The answer to a generation that failed before anything streamed: an HTTP error. */
    protected abstract void refuse(GenerationEnd end);

    @Override
    public final void accepted() {
        open();
    }

    private void open() {
        if (sse == null) {
            sse = streams.open(ctx, () -> { }); // a client that leaves is seen in start()
            opened();
        }
    }

    @Override
    public final void delta(String text) {
        open();
        text(text);
    }

    @Override
    public final void end(GenerationEnd end) {
        streams.metrics().streamEnded(route, end.kind().name().toLowerCase(Locale.ROOT));
        if (sse == null && !end.succeeded()) {
            refuse(end);
            return;
        }
        open();
        finish(end);
        sse.end();
    }
}
