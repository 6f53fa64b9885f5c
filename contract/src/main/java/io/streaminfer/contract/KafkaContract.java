package io.streaminfer.contract;

/**
 * How requests, results and status records sit in Kafka records. docs/contract.md is the user-facing description of
 * the same facts; change both together.
 *
 * <ul>
 *   <li>Requests topic: key = request ID (UTF-8), value = OIP request JSON, header {@value #HEADER_MODEL} = model
 *       name, optional header {@value #HEADER_MODEL_VERSION}. Options travel in the request's {@code parameters}
 *       (see {@link RequestOptions}); the headers of the same names are read when the parameter is absent.</li>
 *   <li>Results topic: key = request ID, value = OIP response JSON or OIP error JSON
 *       ({@code {"error", "id", "code"}}), headers {@value #HEADER_MODEL}, and when the request carried them {@value #HEADER_REPLY_TO},
 *       {@value #HEADER_CALLBACK_URL}, and {@value #HEADER_ERROR_CODE} on an error; written to partition {@value #HEADER_REPLY_PARTITION} when it named one.</li>
 *   <li>Either value may be binary-framed ({@link OipBinary}): headers {@value #HEADER_CONTENT_TYPE} =
 *       {@value #CONTENT_TYPE_OIP_BINARY} and {@value #HEADER_INFERENCE_HEADER_LENGTH}. A result is binary-framed
 *       exactly when its request asked for binary outputs.</li>
 *   <li>Status topic (compacted): key = request ID, value = {@link StatusRecord} JSON.</li>
 *   <li>Dead-letter topic: key = request ID (or absent if none could be read), value = the original bytes as
 *       received, headers {@value #HEADER_ERROR_CODE} and {@value #HEADER_ERROR_REASON} plus the original headers. A graph
 *       request that failed in a step: value = its inputs as OIP JSON, plus header {@value #HEADER_STEP}.</li>
 * </ul>
 */
public final class KafkaContract {
    public static final String HEADER_MODEL = "model";
    public static final String HEADER_MODEL_VERSION = "model-version";
    /** Absolute deadline, epoch milliseconds (decimal text). */
    public static final String HEADER_DEADLINE = "deadline-ms";
    /** Priority, an integer as text: lower runs first, 0 is the default. */
    public static final String HEADER_PRIORITY = "priority";
    /** Where the bridge wants the result: a routing key chosen by the bridge replica. */
    public static final String HEADER_REPLY_TO = "reply-to";
    /**
     * The results-topic partition the result must go to (a decimal integer), so that each bridge replica reads only
     * its own partitions. Absent or out of range: the result is partitioned by key like any keyed record.
     */
    public static final String HEADER_REPLY_PARTITION = "reply-partition";
    public static final String HEADER_CALLBACK_URL = "callback-url";
    public static final String HEADER_ERROR_CODE = "error-code";
    public static final String HEADER_ERROR_REASON = "error-reason";
    /** On a dead letter of a graph request: the step that failed. */
    public static final String HEADER_STEP = "step";
    /**
     * On a request or result record: {@value #CONTENT_TYPE_OIP_BINARY} when the value is binary-framed
     * ({@link OipBinary}); absent (or {@code application/json}) for OIP JSON.
     */
    public static final String HEADER_CONTENT_TYPE = "content-type";
    /** The binary framing, announced in {@value #HEADER_CONTENT_TYPE}. */
    public static final String CONTENT_TYPE_OIP_BINARY = "application/vnd.streaminfer.oip-binary";
    /** With the binary framing: the length in bytes of the value's JSON header (decimal text). */
    public static final String HEADER_INFERENCE_HEADER_LENGTH = "inference-header-content-length";
    /**
     * On result records of requests that reached the model: microseconds (decimal text) the request waited in the
     * batcher's queue, and its model calls took. Not on replays of stored results.
     */
    public static final String HEADER_TIMING_QUEUE_US = "timing-queue-us";
    public static final String HEADER_TIMING_COMPUTE_US = "timing-compute-us";
    /**
     * W3C trace context ({@link TraceContext}), UTF-8, as OpenTelemetry's Kafka instrumentation writes it: read from
     * a request record, written on the result, status, token and dead-letter records of that request.
     */
    public static final String HEADER_TRACEPARENT = TraceContext.TRACEPARENT;
    public static final String HEADER_TRACESTATE = TraceContext.TRACESTATE;

    private KafkaContract() {}
}
