package io.streaminfer.bridge.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.OipJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** Writes JSON answers and OIP errors ({@code {"error": "..."}}) the same way on every route. */
final class Replies {
    static final String JSON = "application/json";

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
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("error", message);
        json(ctx, status, o);
    }

    static ObjectNode object() {
        return OipJson.MAPPER.createObjectNode();
    }
}
