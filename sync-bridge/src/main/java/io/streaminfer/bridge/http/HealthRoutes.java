package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.infer.ServerInfo;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.pipeline.Admission;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Liveness, readiness, server metadata and the Prometheus scrape: open without credentials. Readiness is this
 * replica's: 503 only when it cannot take requests (Kafka, its readers, or a job gone for good); a job that restarts
 * leaves it 200 and is reported as {@code pipeline_job}, so a load balancer never takes every replica out of service
 * for a restart that Kafka bridges.
 */
final class HealthRoutes {
    private final Admission admission;
    private final BridgeMetrics metrics;

    HealthRoutes(Admission admission, BridgeMetrics metrics) {
        this.admission = admission;
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
        String reason = admission.notReadyReason();
        String job = admission.jobCondition();
        ObjectNode o = Replies.object();
        o.put("ready", reason == null);
        if (job != null) {
            o.put("pipeline_job", job);
        }
        if (reason != null) {
            o.put("reason", reason); // last: deploy/local/up reads it as the body's final field
        }
        Replies.json(ctx, reason == null ? 200 : 503, o);
    }
}
