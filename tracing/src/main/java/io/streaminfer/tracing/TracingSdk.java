package io.streaminfer.tracing;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.streaminfer.tracing.internal.LinkSampledSampler;
import io.streaminfer.tracing.internal.ZipkinJsonExporter;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * The OpenTelemetry SDK as the job and the bridge build it, with OpenTelemetry's autoconfiguration: the settings are
 * its defaults, and the standard {@code OTEL_*} environment variables and {@code otel.*} system properties win over
 * them (an endpoint injected by an operator, say). The sampler is parent-based (a request that brings a sampled
 * {@code traceparent} is always traced, one that brings an unsampled one never) with the settings' ratio for roots,
 * and it keeps a root whose links include a sampled context (a model call's batch span).
 *
 * <pre>{@code
 * OpenTelemetrySdk sdk = TracingSdk.build(settings);   // settings.enabled() must be true
 * Tracer tracer = sdk.getTracer("io.streaminfer.job");
 * ...
 * sdk.shutdown().join(10, TimeUnit.SECONDS);           // flushes what is left
 * }</pre>
 */
public final class TracingSdk {
    private static final TextMapGetter<String[]> PAIR = new TextMapGetter<>() {
        @Override
        public String get(String[] carrier, String key) {
            return carrier == null ? null : "traceparent".equals(key) ? carrier[0]
                    : "tracestate".equals(key) ? carrier[1] : null;
        }
    };

    private TracingSdk() {}

    public static OpenTelemetrySdk build(TracingSettings s) {
        Map<String, String> defaults = properties(s);
        AutoConfiguredOpenTelemetrySdkBuilder b = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults)
                .addSamplerCustomizer((sampler, config) -> new LinkSampledSampler(sampler))
                .disableShutdownHook();
        if (s.exporter() == TracingSettings.Exporter.ZIPKIN) {
            URI endpoint = URI.create(s.endpoint() == null ? TracingSettings.ZIPKIN_DEFAULT : s.endpoint());
            b.addTracerProviderCustomizer((provider, config) -> provider.addSpanProcessor(
                    BatchSpanProcessor.builder(new ZipkinJsonExporter(endpoint)).build()));
        }
        return b.build().getOpenTelemetrySdk();
    }

    /** The autoconfiguration properties the settings stand for. */
    static Map<String, String> properties(TracingSettings s) {
        Map<String, String> p = new HashMap<>();
        p.put("otel.service.name", s.serviceName());
        p.put("otel.traces.sampler", "parentbased_traceidratio");
        p.put("otel.traces.sampler.arg", Double.toString(s.samplerRatio()));
        p.put("otel.propagators", "tracecontext");
        p.put("otel.metrics.exporter", "none"); // metrics have their own paths (Flink's, the bridge's Prometheus)
        p.put("otel.logs.exporter", "none");
        if (s.exporter() == TracingSettings.Exporter.OTLP) {
            p.put("otel.traces.exporter", "otlp");
            p.put("otel.exporter.otlp.protocol", "http/protobuf");
            if (s.endpoint() != null) {
                p.put("otel.exporter.otlp.endpoint", s.endpoint());
            }
        } else {
            p.put("otel.traces.exporter", "none"); // Zipkin's processor is added by build()
        }
        return p;
    }

    /** The context of a W3C {@code traceparent} (and {@code tracestate}, may be null) as a remote parent. */
    public static Context parent(String traceparent, String tracestate) {
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), new String[] {traceparent, tracestate},
                PAIR);
    }

    /** The W3C {@code traceparent} that continues the trace from {@code span}. */
    public static String traceparent(SpanContext span) {
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }
}
