package io.streaminfer.flink.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.Clock;
import io.streaminfer.tracing.TracingSdk;
import io.streaminfer.tracing.TracingSettings;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK of the job's tasks in this task manager, one per {@link TracingSettings}, shared by every
 * operator that traces and closed with the last: an operator takes it in {@code open()} and gives it back in {@code
 * close()} (Flink serializes functions, so nothing of the SDK travels with them). {@link #acquire} returns null when
 * tracing is off: operators keep that null, and their hot path costs a null check.
 *
 * <pre>{@code
 * tracing = JobTracing.acquire(settings.tracing());   // open(); null: off
 * if (tracing != null && r.traceparent != null) {
 *     Span s = tracing.tracer().spanBuilder("admit").setParent(JobTracing.parent(r.traceparent, r.tracestate))
 *             .startSpan();
 *     ...
 * }
 * if (tracing != null) { tracing.release(); }          // close()
 * }</pre>
 */
public final class JobTracing {
    private static final Logger LOG = LoggerFactory.getLogger(JobTracing.class);
    private static final Map<TracingSettings, JobTracing> OPEN = new HashMap<>();

    private final TracingSettings settings;
    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;
    /** Requests waiting for or in a model call, by ID: what a batch span links to. Only sampled ones are here. */
    private final Map<String, SpanContext> linkable = new ConcurrentHashMap<>();
    private int users;

    private JobTracing(TracingSettings settings, OpenTelemetrySdk sdk) {
        this.settings = settings;
        this.sdk = sdk;
        this.tracer = sdk.getTracer("io.streaminfer.job");
    }

    /** The SDK for {@code settings}, built on first use; null when tracing is off. */
    public static JobTracing acquire(TracingSettings settings) {
        if (settings == null || !settings.enabled()) {
            return null;
        }
        synchronized (OPEN) {
            JobTracing t = OPEN.get(settings);
            if (t == null) {
                t = new JobTracing(settings, TracingSdk.build(settings));
                OPEN.put(settings, t);
                LOG.info("Tracing on: {}", settings);
            }
            t.users++;
            return t;
        }
    }

    /** One user fewer; the last one flushes what is left and shuts the SDK down. */
    public void release() {
        synchronized (OPEN) {
            if (--users > 0) {
                return;
            }
            OPEN.remove(settings);
        }
        sdk.shutdown().join(10, TimeUnit.SECONDS);
    }

    /** Gives {@code t} back when it is not null; returns null, for the operator's field: {@code t = giveBack(t)}. */
    public static JobTracing giveBack(JobTracing t) {
        if (t != null) {
            t.release();
        }
        return null;
    }

    public Tracer tracer() {
        return tracer;
    }

    /**
     * A span of request {@code traceparent}'s trace (a child of it), started at {@code startEpochNanos}; the caller
     * sets its attributes and ends it. A request whose trace is not sampled gets a span that records nothing.
     */
    public Span startChild(String name, SpanKind kind, String traceparent, String tracestate, long startEpochNanos) {
        return tracer.spanBuilder(name).setSpanKind(kind).setParent(parent(traceparent, tracestate))
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS).startSpan();
    }

    /** Epoch nanoseconds, the SDK's clock: for spans whose times are known only afterwards. */
    public static long nowNanos() {
        return Clock.getDefault().now();
    }

    /** The context of a W3C {@code traceparent} (and {@code tracestate}) as a remote parent. */
    public static Context parent(String traceparent, String tracestate) {
        return TracingSdk.parent(traceparent, tracestate);
    }

    /** The span context of a W3C {@code traceparent}, as a link target; invalid when it is not one. */
    public static SpanContext spanContext(String traceparent, String tracestate) {
        return Span.fromContext(parent(traceparent, tracestate)).getSpanContext();
    }

    /** The W3C {@code traceparent} that continues the trace from {@code span}. */
    public static String traceparent(SpanContext span) {
        return TracingSdk.traceparent(span);
    }

    /** A sampled span context made from a {@code traceparent} only when it has the sampled flag; else invalid. */
    static SpanContext sampled(String traceparent, String tracestate) {
        SpanContext c = spanContext(traceparent, tracestate);
        return c.isSampled() ? c : SpanContext.getInvalid();
    }

    /**
     * Marks request {@code id} as linkable by the batch span of the model call it joins (only when its trace is
     * sampled); {@link #unlink} when it has its answer.
     */
    public void link(String id, String traceparent, String tracestate) {
        SpanContext c = sampled(traceparent, tracestate);
        if (c.isValid()) {
            linkable.put(id, c);
        }
    }

    public void unlink(String id) {
        linkable.remove(id);
    }

    /** The span context a batch span links to for request {@code id}; null when it is not traced. */
    public SpanContext linkOf(String id) {
        return linkable.get(id);
    }
}
