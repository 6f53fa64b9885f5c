package io.streaminfer.bridge.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.openai.OpenAiError;
import io.streaminfer.contract.OipJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Writes JSON answers and errors the same way on every route: OIP's {@code {"error": "..."}}, or on OpenAI's
 * endpoints OpenAI's {@code {"error": {"message", "type", "param", "code"}}} (whoever answers: auth, body limits,
 * the route itself).
 */
final class Replies {
    static final String JSON = "application/json";
    /** Why a call is shed when http.max-in-flight calls wait already. */
    static final String TOO_MANY = "too many requests in flight on this bridge replica (http.max-in-flight)";

    private Replies() {}

    static void json(RoutingContext ctx, int status, byte[] body) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        r.setStatusCode(status).putHeader("Content-Type", JSON).end(Buffer.buffer(body));
    }

    /** A binary-framed OIP body: its first {@code headerLength} bytes are the JSON, the tensors' bytes follow. */
    static void binary(RoutingContext ctx, int status, byte[] body, int headerLength) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return;
        }
        r.setStatusCode(status).putHeader("Content-Type", "application/octet-stream")
                .putHeader(RequestIntake.HEADER_LENGTH, Integer.toString(headerLength)).end(Buffer.buffer(body));
    }

    static void json(RoutingContext ctx, int status, com.fasterxml.jackson.databind.JsonNode body) {
        try {
            json(ctx, status, OipJson.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static void error(RoutingContext ctx, int status, String message) {
        if (OpenAiError.isOpenAiPath(ctx.request().path())) {
            json(ctx, status, OpenAiError.body(status, message, null, null));
            return;
        }
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("error", message);
        json(ctx, status, o);
    }

    /** 429 with Retry-After: this replica sheds the call ({@code what} says which of its bounds is full). */
    static void shed(RoutingContext ctx, int retryAfterSeconds, String what) {
        ctx.response().putHeader("Retry-After", Integer.toString(retryAfterSeconds));
        error(ctx, 429, what + "; retry after " + retryAfterSeconds + " s");
    }

    /** An OpenAI error with its own status, param and code. */
    static void error(RoutingContext ctx, OpenAiError e) {
        json(ctx, e.status(), e.body());
    }

    static ObjectNode object() {
        return OipJson.MAPPER.createObjectNode();
    }
}
