package io.streaminfer.bridge.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Bearer tokens ({@code Authorization: Bearer <token>}) or API keys ({@code X-API-Key: <token>}) from the config:
 * no credentials → 401 with {@code WWW-Authenticate}; credentials that match no token → 403. Tokens are compared in
 * constant time. With no tokens configured, everything passes (the local stack).
 */
final class AuthHandler implements Handler<RoutingContext> {
    private final List<byte[]> tokens;

    AuthHandler(List<String> tokens) {
        this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (tokens.isEmpty()) {
            ctx.next();
            return;
        }
        String presented = null;
        String authorization = ctx.request().getHeader("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = authorization.substring(7).trim();
        }
        if (presented == null) {
            presented = ctx.request().getHeader("X-API-Key");
        }
        if (presented == null || presented.isEmpty()) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"streaminfer\"");
            Replies.error(ctx, 401, "authentication required: send 'Authorization: Bearer <token>' or "
                    + "'X-API-Key: <token>'");
            return;
        }
        byte[] p = presented.getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] t : tokens) {
            ok |= MessageDigest.isEqual(t, p); // no early exit: the time taken says nothing about which token
        }
        if (!ok) {
            Replies.error(ctx, 403, "the token is not accepted by this bridge");
            return;
        }
        ctx.next();
    }
}
