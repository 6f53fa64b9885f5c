package io.streaminfer.bridge.http;

import io.streaminfer.bridge.infer.Credentials;
import io.streaminfer.bridge.openai.OpenAiError;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Bearer tokens ({@code Authorization: Bearer <token>}) or API keys ({@code X-API-Key: <token>}) from the config:
 * no credentials → 401 with {@code WWW-Authenticate}; credentials that match no token → 403. With no tokens
 * configured, everything passes (the local stack). On OpenAI's endpoints a token not accepted is a 401 too, as
 * OpenAI answers it (its clients raise AuthenticationError).
 */
final class AuthHandler implements Handler<RoutingContext> {
    private final Credentials credentials;

    AuthHandler(Credentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public void handle(RoutingContext ctx) {
        switch (credentials.check(ctx.request().getHeader("Authorization"), ctx.request().getHeader("X-API-Key"))) {
            case MISSING:
                ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"streaminfer\"");
                Replies.error(ctx, 401, "authentication required: send 'Authorization: Bearer <token>' or "
                        + "'X-API-Key: <token>'");
                return;
            case REJECTED:
                boolean openAi = OpenAiError.isOpenAiPath(ctx.request().path());
                Replies.error(ctx, openAi ? 401 : 403, "the token is not accepted by this bridge");
                return;
            default:
                ctx.next();
        }
    }
}
