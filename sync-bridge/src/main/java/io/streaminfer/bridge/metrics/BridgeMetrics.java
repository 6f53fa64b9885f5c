package io.streaminfer.bridge.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.streaminfer.bridge.pipeline.Refusal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.DoubleSupplier;

/**
 * The bridge's Prometheus metrics (scraped at {@code GET /metrics}): HTTP requests by route, model, outcome and
 * status code, latency, waiting callers, timeouts, shed requests, refused requests, callbacks, and the JVM's own.
 */
public final class BridgeMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Histogram latency;
    private final Counter timeouts;
    private final Counter shed;
    private final Counter refused;
    private final Counter callbacks;

    public BridgeMetrics() {
        requests = Counter.builder().name("streaminfer_bridge_requests_total")
                .help("HTTP inference and job requests by route, model, outcome and status code")
                .labelNames("route", "model", "outcome", "code").register(registry);
        latency = Histogram.builder().name("streaminfer_bridge_request_duration_seconds")
                .help("Time from request to response, by route and model")
                .labelNames("route", "model")
                .classicUpperBounds(.002, .005, .01, .02, .03, .05, .075, .1, .2, .3, .5, 1, 2, 5, 10, 30, 60)
                .register(registry);
        timeouts = Counter.builder().name("streaminfer_bridge_timeouts_total")
                .help("Sync calls answered 504 because the caller's timeout passed").labelNames("model")
                .register(registry);
        shed = Counter.builder().name("streaminfer_bridge_shed_total")
                .help("Calls refused with 429 because too many were in flight").register(registry);
        refused = Counter.builder().name("streaminfer_bridge_refused_total")
                .help("Requests answered 503 without being handed to Kafka, by cause (not_ready: Kafka or the "
                        + "bridge's readers; job_gone; job_down_longer_than_wait)")
                .labelNames("cause").register(registry);
        callbacks = Counter.builder().name("streaminfer_bridge_callbacks_total")
                .help("Callbacks by outcome (DELIVERED, REFUSED, FAILED)").labelNames("outcome").register(registry);
        JvmMetrics.builder().register(registry);
    }

    /** A gauge read at scrape time (in-flight calls, known jobs, ...). */
    public void gauge(String name, String help, DoubleSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble()))
                .register(registry);
    }

    public void request(String route, String model, int status, long nanos) {
        String outcome = status < 300 ? "ok" : status == 504 ? "timeout" : status == 429 ? "shed"
                : status < 500 ? "client_error" : "server_error";
        requests.labelValues(route, model, outcome, Integer.toString(status)).inc();
        latency.labelValues(route, model).observe(nanos / 1e9);
    }

    public void timeout(String model) {
        timeouts.labelValues(model).inc();
    }

    public void shed() {
        shed.inc();
    }

    public void refused(Refusal.Cause cause) {
        refused.labelValues(cause.label()).inc();
    }

    public void callback(String outcome) {
        callbacks.labelValues(outcome).inc();
    }

    public String contentType() {
        return writer.getContentType();
    }

    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 << 10);
        try {
            writer.write(out, registry.scrape(), EscapingScheme.ALLOW_UTF8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
