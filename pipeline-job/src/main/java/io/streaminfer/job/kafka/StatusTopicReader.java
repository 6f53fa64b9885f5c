package io.streaminfer.job.kafka;

import io.streaminfer.contract.StatusRecord;
import io.streaminfer.flink.records.StatusUpdate;
import io.streaminfer.flink.status.PublishedFinals;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the final states the job published on its status topic since a point in time, by record timestamp: every
 * partition from {@code offsetsForTimes} to the end offset it had when reading began. No consumer group, nothing
 * committed. At most {@code maxRecords} final states are kept (the newest); a restore from an old savepoint would
 * otherwise read hours of statuses.
 */
public final class StatusTopicReader implements PublishedFinals {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StatusTopicReader.class);

    private final String topic;
    private final Map<String, String> clientProperties;
    private final long timeoutMs;
    private final int maxRecords;

    /**
     * @param clientProperties bootstrap servers, security and any other client settings
     * @param timeoutMs how long reading may take before it fails (the restore then fails and is retried)
     */
    public StatusTopicReader(String topic, Map<String, String> clientProperties, long timeoutMs, int maxRecords) {
        this.topic = topic;
        this.clientProperties = Map.copyOf(clientProperties);
        this.timeoutMs = timeoutMs;
        this.maxRecords = maxRecords;
    }

    @Override
    public Map<String, StatusUpdate> since(long epochMs) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        long deadline = System.currentTimeMillis() + timeoutMs;
        Duration wait = Duration.ofMillis(timeoutMs);
        Map<String, StatusUpdate> finals = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, wait)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, wait);
            Map<TopicPartition, Long> at = new HashMap<>();
            partitions.forEach(tp -> at.put(tp, epochMs));
            Map<TopicPartition, OffsetAndTimestamp> from = consumer.offsetsForTimes(at, wait);
            List<TopicPartition> open = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp o = from.get(tp);
                long start = o == null ? end.get(tp) : o.offset();
                consumer.seek(tp, start);
                if (start < end.get(tp)) {
                    open.add(tp);
                }
            }
            long read = 0;
            while (!open.isEmpty()) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("reading back the status topic " + topic + " took more than "
                            + timeoutMs + " ms (" + read + " records read)");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition())) || r.value() == null) {
                        continue;
                    }
                    read++;
                    StatusRecord s;
                    try {
                        s = StatusRecord.fromJson(r.value());
                    } catch (RuntimeException e) {
                        continue; // not ours to judge: a reader skips what it cannot read
                    }
                    if (s.state().isFinal()) {
                        String id = r.key() != null ? new String(r.key(), StandardCharsets.UTF_8) : s.id();
                        finals.put(id, StatusUpdate.of(s));
                    }
                }
                open.removeIf(tp -> consumer.position(tp) >= end.get(tp));
                if (finals.size() > maxRecords) {
                    LOG.warn("More than {} final states published since {} on {}: keeping what was read so far",
                            maxRecords, epochMs, topic);
                    break;
                }
            }
            return finals;
        }
    }
}
