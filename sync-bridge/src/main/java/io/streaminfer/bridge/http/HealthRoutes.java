package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.infer.ServerInfo;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/** Liveness, readiness, server metadata and the Prometheus scrape: open without credentials. */
final class HealthRoutes {
    private final Supplier<String> notReadyReason;
    private final BridgeMetrics metrics;

    HealthRoutes(Supplier<String> notReadyReason, BridgeMetrics metrics) {
        this.notReadyReason = notReadyReason;
        this.metrics = metrics;
    }

    void mount(Router r) {
        r.get("/v2/health/live").handler(ctx -> {
            ObjectNode o = Replies.object();
            o.put("live", true);
            Replies.json(ctx, 200, o);
        });
        r.get("/v2/health/ready").handler(this::ready);
        r.get("/v2").handler(ctx -> {
            ObjectNode o = Replies.object();
            o.put("name", ServerInfo.NAME);
            o.put("version", ServerInfo.VERSION);
            ServerInfo.EXTENSIONS.forEach(o.putArray("extensions")::add);
            Replies.json(ctx, 200, o);
        });
        r.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", metrics.contentType())
                .end(Buffer.buffer(metrics.scrape())));
    }

    private void ready(RoutingContext ctx) {
        String reason = notReadyReason.get();
        ObjectNode o = Replies.object();
        o.put("ready", reason == null);
        if (reason != null) {
            o.put("reason", reason);
        }
        Replies.json(ctx, reason == null ? 200 : 503, o);
    }
}
