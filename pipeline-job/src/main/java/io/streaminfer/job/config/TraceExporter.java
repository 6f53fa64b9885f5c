package io.streaminfer.job.config;

import io.streaminfer.tracing.TracingSettings;

/** Where the job's spans go ({@code tracing.exporter}). */
public enum TraceExporter implements ConfigChoice {
    /** OTLP over HTTP (http/protobuf): a collector, Jaeger, Tempo. */
    OTLP("otlp", TracingSettings.Exporter.OTLP),
    /** Zipkin's v2 API (the local stack's viewer: deploy/local/up --tracing). */
    ZIPKIN("zipkin", TracingSettings.Exporter.ZIPKIN);

    private final String configName;
    private final TracingSettings.Exporter exporter;

    TraceExporter(String configName, TracingSettings.Exporter exporter) {
        this.configName = configName;
        this.exporter = exporter;
    }

    @Override
    public String configName() {
        return configName;
    }

    public TracingSettings.Exporter exporter() {
        return exporter;
    }
}
