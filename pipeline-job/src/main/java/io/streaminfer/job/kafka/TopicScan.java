package io.streaminfer.job.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every partition of a topic from a point in time (by record timestamp, {@code offsetsForTimes}) to the end
 * offset it had when reading began: no consumer group, nothing committed. The job's read-backs after a restore use it
 * (final states on the status topic, published text on the token topic).
 */
final class TopicScan {
    private TopicScan() {}

    /**
     * Hands each record to {@code each} until it returns false or the end is reached.
     *
     * @throws IllegalStateException when reading takes longer than {@code timeoutMs}
     */
    static long scan(Map<String, String> clientProperties, String topic, long sinceMillis, long timeoutMs,
            Predicate<ConsumerRecord<byte[], byte[]>> each) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        long deadline = System.currentTimeMillis() + timeoutMs;
        Duration wait = Duration.ofMillis(timeoutMs);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, wait)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, wait);
            Map<TopicPartition, Long> at = new HashMap<>();
            partitions.forEach(tp -> at.put(tp, sinceMillis));
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
                    throw new IllegalStateException("reading back " + topic + " took more than " + timeoutMs
                            + " ms (" + read + " records read)");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition())) || r.value() == null) {
                        continue;
                    }
                    read++;
                    if (!each.test(r)) {
                        return read;
                    }
                }
                open.removeIf(tp -> consumer.position(tp) >= end.get(tp));
            }
            return read;
        }
    }
}
