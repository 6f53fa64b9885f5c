package io.streaminfer.flink.records;

/**
 * A request that passed parsing and validation, on its way to the model. The OIP body travels as its original bytes
 * (compact to checkpoint; the inference function parses it once more, which costs microseconds).
 */
public class RequestEnvelope {
    /** The request ID: the Kafka key, else the body's {@code id}. The key of all state. */
    public String id;
    /** The {@code id} the response echoes: the body's {@code id}, else the request ID. */
    public String responseId;
    public String model;
    /** The version that will run (resolved to the latest when the request named none). */
    public String modelVersion;
    public byte[] body;
    public int rows;
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
    /** Outputs the result gives binary-framed ({@code OipBinary}), as the request asked; null or empty: JSON. */
    public String[] binaryOutputs;

    public RequestEnvelope() {}

    @Override
    public String toString() {
        return "RequestEnvelope{" + id + " " + model + ":" + modelVersion + "}";
    }
}
