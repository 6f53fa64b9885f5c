package io.streaminfer.flink.records;

/**
 * A record of the requests topic as it arrived, untouched: nothing about it has been trusted yet. A Flink POJO
 * (public fields, no-arg constructor) so Flink serializes it without Kryo.
 */
public class RawRecord {
    public byte[] key;
    public byte[] value;
    public String[] headerNames;
    public byte[][] headerValues;
    /** The record's timestamp, epoch milliseconds: when the producer sent it. */
    public long timestamp;
    public String topic;
    public int partition;
    public long offset;

    public RawRecord() {}

    /** The last value of a header as UTF-8, or null. */
    public String header(String name) {
        if (headerNames == null) {
            return null;
        }
        for (int i = headerNames.length - 1; i >= 0; i--) {
            if (name.equals(headerNames[i])) {
                return headerValues[i] == null ? null : new String(headerValues[i], java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Where the record sits in Kafka, for an ID when the record brought none. */
    public String coordinates() {
        return topic + "-" + partition + "@" + offset;
    }
}
