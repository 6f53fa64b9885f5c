package io.streaminfer.tracing;

import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Whether and where the job's operators trace requests. Off by default: then no operator creates a tracer and the hot
 * path costs a null check. On: spans go through the OpenTelemetry SDK, configured the standard way (its {@code
 * OTEL_*} environment variables and {@code otel.*} system properties win over what is set here). Serializable: it
 * travels with the job graph, and each task builds the SDK in {@code open()} (the job's {@code JobTracing}); the
 * bridge builds it from its config's {@code tracing} section ({@link TracingSdk}).
 *
 * <pre>{@code
 * TracingSettings t = TracingSettings.builder()
 *         .enabled(true)
 *         .samplerRatio(0.01)                        // of requests that bring no traceparent; a sampled one always
 *         .exporter(TracingSettings.Exporter.OTLP)   // http/protobuf
 *         .endpoint("http://collector:4318")         // absent: OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4318
 *         .serviceName("streaminfer-job")
 *         .build();
 * }</pre>
 */
public final class TracingSettings implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final TracingSettings OFF = builder().build();
    /** Zipkin's spans API on this machine: the local stack's viewer (deploy/local/up --tracing). */
    public static final String ZIPKIN_DEFAULT = "http://localhost:9411/api/v2/spans";

    /** Where spans go. */
    public enum Exporter {
        /** OTLP over HTTP (http/protobuf) to a collector, Jaeger, Tempo...: {@code endpoint} is its base URL. */
        OTLP,
        /** Zipkin's v2 JSON API: {@code endpoint} is e.g. {@code http://localhost:9411/api/v2/spans}. */
        ZIPKIN
    }

    private final boolean enabled;
    private final double samplerRatio;
    private final Exporter exporter;
    private final String endpoint;
    private final String serviceName;

    private TracingSettings(Builder b) {
        this.enabled = b.enabled;
        this.samplerRatio = b.samplerRatio;
        this.exporter = b.exporter;
        this.endpoint = b.endpoint;
        this.serviceName = b.serviceName;
    }

    /** Tracing off. */
    public static TracingSettings off() {
        return OFF;
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean enabled() {
        return enabled;
    }

    /** The share of root traces kept (requests without a sampled traceparent), 0 to 1. */
    public double samplerRatio() {
        return samplerRatio;
    }

    public Exporter exporter() {
        return exporter;
    }

    /** The exporter's endpoint; null: the {@code OTEL_*} environment's, else the exporter's default. */
    public String endpoint() {
        return endpoint;
    }

    public String serviceName() {
        return serviceName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TracingSettings t && t.enabled == enabled && t.samplerRatio == samplerRatio
                && t.exporter == exporter && Objects.equals(t.endpoint, endpoint)
                && Objects.equals(t.serviceName, serviceName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(enabled, samplerRatio, exporter, endpoint, serviceName);
    }

    @Override
    public String toString() {
        return enabled ? "tracing on (" + exporter + (endpoint == null ? "" : " " + endpoint) + ", ratio "
                + samplerRatio + ", service " + serviceName + ")" : "tracing off";
    }

    public static final class Builder {
        private boolean enabled;
        private double samplerRatio = 1.0;
        private Exporter exporter = Exporter.OTLP;
        private String endpoint;
        private String serviceName = "streaminfer-job";

        private Builder() {}

        public Builder enabled(boolean enabled) {
            this.enabled = enabled;
            return this;
        }

        public Builder samplerRatio(double ratio) {
            this.samplerRatio = ratio;
            return this;
        }

        public Builder exporter(Exporter exporter) {
            this.exporter = exporter;
            return this;
        }

        public Builder endpoint(String endpoint) {
            this.endpoint = endpoint == null || endpoint.isBlank() ? null : endpoint.trim();
            return this;
        }

        public Builder serviceName(String name) {
            this.serviceName = name;
            return this;
        }

        /** Checks everything and throws one exception listing every problem. */
        public TracingSettings build() {
            List<String> problems = problems(samplerRatio, exporter, endpoint, serviceName);
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid tracing settings: " + String.join("; ", problems));
            }
            return new TracingSettings(this);
        }
    }

    /** What is wrong with these values (config keys named as in the job's and the bridge's {@code tracing}). */
    public static List<String> problems(double ratio, Exporter exporter, String endpoint, String serviceName) {
        List<String> problems = new ArrayList<>();
        if (!(ratio >= 0 && ratio <= 1)) {
            problems.add("tracing.sampler-ratio must be between 0 and 1 (0.01 keeps 1 % of traces), got " + ratio);
        }
        if (exporter == null) {
            problems.add("tracing.exporter must be otlp or zipkin");
        }
        if (endpoint != null && !endpoint.isBlank()) {
            try {
                URI u = URI.create(endpoint.trim());
                if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
                    problems.add("tracing.endpoint must be an http(s) URL, got " + endpoint);
                }
            } catch (IllegalArgumentException e) {
                problems.add("tracing.endpoint is not a URL: " + endpoint);
            }
        }
        if (serviceName == null || serviceName.isBlank()) {
            problems.add("tracing.service-name must not be empty");
        }
        return problems;
    }
}
