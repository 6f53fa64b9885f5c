package io.streaminfer.bridge.infer;

import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.RequestOptions;
import io.streaminfer.contract.TraceContext;
import io.streaminfer.contract.model.ModelVersion;
import io.vertx.core.MultiMap;

/**
 * A request that passed the bridge's checks, with the bytes to publish: the caller's body unchanged (JSON, or
 * binary-framed with {@link #headerLength()} bytes of JSON header), or the bridge's own binary framing (gRPC).
 */
public final class CheckedRequest {
    private final ModelVersion version;
    private final String requestedVersion;
    private final byte[] body;
    private final int headerLength;
    private final InferenceRequest request;
    private final RequestOptions options;
    /** The caller's W3C trace context (HTTP headers, gRPC metadata); null when it sent none. */
    private final TraceContext trace;

    CheckedRequest(ModelVersion version, String requestedVersion, byte[] body, int headerLength,
            InferenceRequest request, RequestOptions options) {
        this(version, requestedVersion, body, headerLength, request, options, null);
    }

    private CheckedRequest(ModelVersion version, String requestedVersion, byte[] body, int headerLength,
            InferenceRequest request, RequestOptions options, TraceContext trace) {
        this.trace = trace;
        this.version = version;
        this.requestedVersion = requestedVersion;
        this.body = body;
        this.headerLength = headerLength;
        this.request = request;
        this.options = options;
    }

    public ModelVersion version() {
        return version;
    }

    public String model() {
        return version.name();
    }

    /** The version as the caller named it; null: the latest. */
    public String requestedVersion() {
        return requestedVersion;
    }

    /** Whether it is a generative model's request (its text may stream on the token topic). */
    public boolean isGeneration() {
        return version.config().isGenerative();
    }

    public byte[] body() {
        return body;
    }

    /** The JSON header's length of a binary-framed body; -1 for JSON. */
    public int headerLength() {
        return headerLength;
    }

    public InferenceRequest request() {
        return request;
    }

    public RequestOptions options() {
        return options;
    }

    /** The caller's trace context; null when it sent none. */
    public TraceContext trace() {
        return trace;
    }

    /** This request, continuing the caller's trace {@code trace} (null: none). */
    public CheckedRequest withTrace(TraceContext trace) {
        return trace == this.trace ? this
                : new CheckedRequest(version, requestedVersion, body, headerLength, request, options, trace);
    }

    /**
     * This request, continuing the trace of the caller's {@code traceparent} and {@code tracestate} (HTTP headers or
     * gRPC metadata); an absent or invalid one is none, never an error.
     */
    public CheckedRequest withTraceFrom(MultiMap headers) {
        String traceparent = headers.get(TraceContext.TRACEPARENT);
        return traceparent == null ? this
                : withTrace(TraceContext.parse(traceparent, headers.get(TraceContext.TRACESTATE)));
    }

    /** Model, version as the caller named it (null: latest), the body's framing and the caller's trace context. */
    public RequestPublisher.Routing routing() {
        RequestPublisher.Routing r = RequestPublisher.Routing.of(model(), requestedVersion).trace(trace);
        return headerLength >= 0 ? r.binary(headerLength) : r;
    }
}
