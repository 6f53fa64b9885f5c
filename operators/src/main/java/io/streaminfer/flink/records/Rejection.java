package io.streaminfer.flink.records;

import io.streaminfer.contract.ErrorCode;

/** A record that could not become a request: it goes to the dead-letter topic as it came, with the reason. */
public class Rejection {
    /** The request ID if one could be read, else one made from the record's Kafka coordinates. */
    public String id;
    public String model;
    public ErrorCode errorCode;
    public String reason;
    public RawRecord record;
    public long rejectedAt;
    public String replyTo;
    public int replyPartition = -1;
    public String callbackUrl;
    /** The id the caller's error should echo (the body's id when readable). */
    public String responseId;

    public Rejection() {}
}
