package io.streaminfer.bridge.testing;

import io.streaminfer.contract.KafkaContract;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * A results topic in memory for unit tests of the bridge's readers: Kafka's own {@link MockConsumer}, whose polls
 * wait a little when there is nothing (the readers poll in a loop), with the topic's partitions ending at offset 0.
 * The job's side is played by {@link #reply}: a results record as the job writes it.
 */
public final class InMemoryResults extends MockConsumer<byte[], byte[]> {
    private final String topic;
    private final Map<Integer, Long> next = new HashMap<>();

    public InMemoryResults(String topic, int partitions) {
        super("latest");
        this.topic = topic;
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            ends.put(new TopicPartition(topic, p), 0L);
            next.put(p, 0L);
        }
        updateBeginningOffsets(ends);
        updateEndOffsets(ends);
    }

    @Override
    public synchronized ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        ConsumerRecords<byte[], byte[]> records = super.poll(timeout);
        if (records.isEmpty()) {
            try {
                wait(Math.min(20, Math.max(1, timeout.toMillis()))); // released by reply(): no busy loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return records;
    }

    /**
     * The job's result record for {@code jobId} on {@code partition} (a reader must have it assigned):
     * {@code errorCode} null for a success; header pairs after it.
     */
    public synchronized void reply(int partition, String jobId, byte[] body, String errorCode, String... headers) {
        long offset = next.merge(partition, 1L, Long::sum) - 1;
        ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(topic, partition, offset,
                jobId.getBytes(StandardCharsets.UTF_8), body);
        if (errorCode != null) {
            r.headers().add(KafkaContract.HEADER_ERROR_CODE, errorCode.getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        addRecord(r);
        notifyAll();
    }
}
