package io.streaminfer.bridge.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.openai.OpenAiError;
import io.streaminfer.contract.OipJson;
import io.streaminfer.bridge.batch.store.MetaView;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;

/** JSON answers and OpenAI's errors of the file and batch routes. */
final class Answers {
    private Answers() {}

    static void json(RoutingContext ctx, int status, JsonNode body) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        try {
            r.setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(Buffer.buffer(OipJson.MAPPER.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static void error(RoutingContext ctx, OpenAiError e) {
        json(ctx, e.status(), e.body());
    }

    /** A write to Kafka that failed: the brokers are away (503, which the official clients retry). */
    static void storeFailed(RoutingContext ctx, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        error(ctx, new OpenAiError(503, "could not write to Kafka: " + cause.getMessage(), null,
                "service_unavailable"));
    }

    /**
     * The file or batch named in the path, also one another replica has just written (the view is read up to now
     * before the answer is no); 404 when there is none.
     */
    static <T> void withItem(RoutingContext ctx, MetaView view, Function<String, T> find, String what,
            Consumer<T> then) {
        String id = ctx.pathParam("id");
        T item = find.apply(id);
        if (item != null) {
            then.accept(item);
            return;
        }
        Context context = Vertx.currentContext();
        view.caughtUp().thenRun(() -> context.runOnContext(v -> {
            T again = find.apply(id);
            if (again == null) {
                error(ctx, new OpenAiError(404, "no " + what + " with id '" + id + "'", what + "_id", "not_found"));
            } else {
                then.accept(again);
            }
        }));
    }
}
