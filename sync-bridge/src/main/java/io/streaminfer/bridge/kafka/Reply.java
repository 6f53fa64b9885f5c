package io.streaminfer.bridge.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * A result record as the bridge needs it: the OIP response or error body, the error code from the record's header
 * (null on success), so the HTTP status is known without parsing the body, the length of the body's JSON header when
 * the body is binary-framed, and the job's optional timings.
 *
 * <pre>{@code
 * Reply reply = Reply.of(record);
 * byte[] json = reply.jsonBody();   // a binary-framed result as plain OIP JSON (for job views and callbacks)
 * }</pre>
 */
public final class Reply {
    private final byte[] body;
    private final ErrorCode errorCode;
    private final int headerLength;
    private final long queueUs;
    private final long computeUs;
    /** The result record's W3C traceparent (the job's publish span); null when it had none. */
    private String traceparent;

    public Reply(byte[] body, ErrorCode errorCode) {
        this(body, errorCode, -1, -1, -1);
    }

    public Reply(byte[] body, ErrorCode errorCode, int headerLength, long queueUs, long computeUs) {
        this.body = body;
        this.errorCode = errorCode;
        this.headerLength = headerLength;
        this.queueUs = queueUs;
        this.computeUs = computeUs;
    }

    /** Reads body and headers of a results-topic record as {@link KafkaContract} lays them out. */
    public static Reply of(ConsumerRecord<byte[], byte[]> r) {
        Headers h = r.headers();
        int headerLength = -1;
        String type = KafkaClients.header(h, KafkaContract.HEADER_CONTENT_TYPE);
        if (type != null && type.trim().equals(KafkaContract.CONTENT_TYPE_OIP_BINARY)) {
            headerLength = (int) number(KafkaClients.header(h, KafkaContract.HEADER_INFERENCE_HEADER_LENGTH));
        }
        Reply reply = new Reply(r.value(), parseCode(KafkaClients.header(h, KafkaContract.HEADER_ERROR_CODE)),
                headerLength, number(KafkaClients.header(h, KafkaContract.HEADER_TIMING_QUEUE_US)),
                number(KafkaClients.header(h, KafkaContract.HEADER_TIMING_COMPUTE_US)));
        reply.traceparent = KafkaClients.header(h, KafkaContract.HEADER_TRACEPARENT);
        return reply;
    }

    /** A decimal header; -1 when absent or unreadable (these headers are optional). */
    private static long number(String value) {
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public byte[] body() {
        return body;
    }

    /** The body's JSON header length when it is binary-framed; -1 when it is plain JSON. */
    public int headerLength() {
        return headerLength;
    }

    public boolean isBinary() {
        return headerLength >= 0;
    }

    /** The body as OIP JSON: a binary-framed result is converted (where JSON is embedded: job views, callbacks). */
    public byte[] jsonBody() {
        if (!isBinary() || body == null) {
            return body;
        }
        return OipJson.writeResponse(OipBinary.parseResponse(body, headerLength));
    }

    /** Microseconds the request waited in the job's queue; -1 when the job did not say. */
    public long queueUs() {
        return queueUs;
    }

    /** Microseconds its batch spent in the model; -1 when the job did not say. */
    public long computeUs() {
        return computeUs;
    }

    /** An error's message from its OIP body ({@code {"error": "..."}}); the code's name when it has none. */
    public String errorMessage() {
        try {
            JsonNode error = OipJson.MAPPER.readTree(body).path("error");
            return error.isTextual() ? error.textValue() : String.valueOf(errorCode);
        } catch (IOException | RuntimeException e) {
            return String.valueOf(errorCode);
        }
    }

    /** The result record's W3C {@code traceparent}; null when it had none. */
    public String traceparent() {
        return traceparent;
    }

    /** Null on success. */
    public ErrorCode errorCode() {
        return errorCode;
    }

    public boolean isSuccess() {
        return errorCode == null;
    }

    /** The code from a result record's header value; an unknown name counts as an internal error. */
    public static ErrorCode parseCode(String header) {
        if (header == null) {
            return null;
        }
        try {
            return ErrorCode.valueOf(header);
        } catch (IllegalArgumentException e) {
            return ErrorCode.INTERNAL;
        }
    }
}
