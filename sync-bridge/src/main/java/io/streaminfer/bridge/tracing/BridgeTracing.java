package io.streaminfer.bridge.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.streaminfer.bridge.config.BridgeConfig;
import io.streaminfer.contract.TraceContext;
import io.streaminfer.tracing.TracingSdk;
import java.util.concurrent.TimeUnit;

/**
 * The bridge's spans, with the OpenTelemetry SDK configured the standard way: the config's {@code tracing} section
 * gives the defaults, the {@code OTEL_*} environment variables and {@code otel.*} system properties win over it. The
 * sampler is parent-based: a caller's sampled {@code traceparent} is always traced, an unsampled one never, and calls
 * without one at the configured ratio. {@link #start} returns null when tracing is off: the bridge's paths then cost
 * a null check.
 *
 * <pre>{@code
 * BridgeTracing tracing = BridgeTracing.start(config.tracing);   // null: off
 * Span call = tracing.server("infer tiny", checked.trace());
 * TraceContext publishAs = BridgeTracing.contextOf(call, checked.trace());
 * }</pre>
 */
public final class BridgeTracing implements AutoCloseable {
    public static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    public static final AttributeKey<String> MESSAGING_OPERATION = AttributeKey.stringKey("messaging.operation.type");
    public static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    public static final AttributeKey<String> MESSAGE_KEY = AttributeKey.stringKey("messaging.kafka.message.key");
    public static final AttributeKey<String> MODEL = AttributeKey.stringKey("streaminfer.model");
    public static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("streaminfer.request.id");
    public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("streaminfer.outcome");
    public static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("streaminfer.error.code");

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;

    private BridgeTracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
        this.tracer = sdk.getTracer("io.streaminfer.bridge");
    }

    /** The SDK for the config's tracing section; null when tracing is off. */
    public static BridgeTracing start(BridgeConfig.Tracing c) {
        if (c == null || !c.enabled) {
            return null;
        }
        return new BridgeTracing(TracingSdk.build(c.settings()));
    }

    /** The server span of a call, a child of the caller's trace context (a root without one). */
    public Span server(String name, TraceContext caller) {
        return tracer.spanBuilder(name).setSpanKind(SpanKind.SERVER).setParent(parent(caller)).startSpan();
    }

    /** The producer span of a request record sent to {@code topic} (OpenTelemetry's messaging conventions). */
    public Span send(String topic, String key, String model, TraceContext parent) {
        return tracer.spanBuilder("send " + topic).setSpanKind(SpanKind.PRODUCER).setParent(parent(parent))
                .setAttribute(MESSAGING_SYSTEM, "kafka")
                .setAttribute(MESSAGING_OPERATION, "send")
                .setAttribute(DESTINATION, topic)
                .setAttribute(MESSAGE_KEY, key)
                .setAttribute(MODEL, model)
                .startSpan();
    }

    /**
     * The consumer span of a call's reply read from {@code topic}: a child of the call's span, linked to the result
     * record's context (the job's publish span), from {@code startNanos} (epoch) to now.
     */
    public Span reply(String topic, Span call, String resultTraceparent) {
        SpanBuilder b = tracer.spanBuilder("process " + topic).setSpanKind(SpanKind.CONSUMER)
                .setParent(Context.root().with(call))
                .setAttribute(MESSAGING_SYSTEM, "kafka")
                .setAttribute(MESSAGING_OPERATION, "process")
                .setAttribute(DESTINATION, topic);
        TraceContext result = TraceContext.parse(resultTraceparent, null);
        if (result != null) {
            SpanContext linked = Span.fromContext(parent(result)).getSpanContext();
            if (linked.isValid()) {
                b.addLink(linked);
            }
        }
        return b.startSpan();
    }

    /**
     * What a record continues from {@code span}: its context when it is sampled (keeping the caller's
     * tracestate), else the caller's own context unchanged (null when none).
     */
    public static TraceContext contextOf(Span span, TraceContext caller) {
        SpanContext c = span.getSpanContext();
        if (!c.isSampled()) {
            return caller;
        }
        return new TraceContext(c.getTraceId(), c.getSpanId(), c.getTraceFlags().asByte() & 0xff,
                caller == null ? null : caller.tracestate());
    }

    private static Context parent(TraceContext t) {
        return t == null ? Context.root() : TracingSdk.parent(t.traceparent(), t.tracestate());
    }

    @Override
    public void close() {
        sdk.shutdown().join(10, TimeUnit.SECONDS);
    }
}
