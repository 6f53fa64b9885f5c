package io.streaminfer.flink.records;

import io.streaminfer.flink.records.internal.RequestEnvelopeSerializer;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A request that passed parsing and validation, on its way to the model. It was parsed and prepared once, where it
 * entered (for text: cut to what the model reads and tokenized): it travels as the compact bytes of its {@code
 * PreparedRequest} ({@code io.streaminfer.runtime.PreparedRequestCodec}), never as the JSON it came in, through the
 * shuffle and the async operator's checkpointed buffer.
 */
@TypeInfo(RequestEnvelopeSerializer.Factory.class)
public class RequestEnvelope {
    /** The request ID: the Kafka key, else the body's {@code id}. The key of all state. */
    public String id;
    /** The {@code id} the response echoes: the body's {@code id}, else the request ID. */
    public String responseId;
    public String model;
    /** The version that will run (resolved to the latest when the request named none). */
    public String modelVersion;
    /** The prepared request, encoded by {@code PreparedRequestCodec}. */
    public byte[] prepared;
    public int priority;
    public long deadlineMs;
    /** When the producer sent it (record timestamp). */
    public long producedAt;
    /** When the pipeline parsed it. */
    public long acceptedAt;
    /** Reply routing chosen by the bridge, copied onto the result record; may be null. */
    public String replyTo;
    /** The results-topic partition the bridge replica reads; -1 when the request named none. */
    public int replyPartition = -1;
    public String callbackUrl;
    /**
     * Set when nothing is left to run: the outcome was decided before the model (ACCEPTED progress, a rejection, an
     * expiry at admission, a replay of a duplicate ID). It passes through the inference step unchanged, so that
     * every outcome of a request reaches the outcome recorder on one path, in order, without another shuffle (the
     * rules the topology keeps: {@code io.streaminfer.flink.topology}).
     */
    public Outcome decided;
    /** Outputs the result gives binary-framed ({@code OipBinary}), as the request asked; null or empty: JSON. */
    public String[] binaryOutputs;

    /**
     * The W3C trace context to continue ({@code io.streaminfer.contract.TraceContext}, validated where it came in),
     * written into the headers of the request's records; null when the request brought none.
     */
    public String traceparent;
    public String tracestate;

    public RequestEnvelope() {}

    /** An envelope that only carries an outcome decided before the model. */
    public static RequestEnvelope carrying(Outcome decided) {
        RequestEnvelope e = new RequestEnvelope();
        e.id = decided.id;
        e.responseId = decided.responseId;
        e.model = decided.model;
        e.modelVersion = decided.modelVersion;
        e.decided = decided;
        e.traceparent = decided.traceparent;
        e.tracestate = decided.tracestate;
        return e;
    }

    /**
     * A field-by-field copy, kept beside the fields so a new one is not forgotten. Arrays are shared: they are never
     * written after the envelope is built. The decided outcome is copied too.
     */
    public RequestEnvelope copy() {
        RequestEnvelope e = new RequestEnvelope();
        e.id = id;
        e.responseId = responseId;
        e.model = model;
        e.modelVersion = modelVersion;
        e.prepared = prepared;
        e.priority = priority;
        e.deadlineMs = deadlineMs;
        e.producedAt = producedAt;
        e.acceptedAt = acceptedAt;
        e.replyTo = replyTo;
        e.replyPartition = replyPartition;
        e.callbackUrl = callbackUrl;
        e.decided = decided == null ? null : decided.copy();
        e.binaryOutputs = binaryOutputs;
        e.traceparent = traceparent;
        e.tracestate = tracestate;
        return e;
    }

    @Override
    public String toString() {
        return "RequestEnvelope{" + id + " " + model + ":" + modelVersion + (decided == null ? "" : " " + decided)
                + "}";
    }
}
