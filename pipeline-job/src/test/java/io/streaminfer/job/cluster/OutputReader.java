package io.streaminfer.job.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads an output topic from the beginning on a background thread and keeps its record values by key (request ID). */
final class OutputReader implements AutoCloseable {
    private final Map<String, List<byte[]>> byKey = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    OutputReader(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(30))
                .forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(() -> {
            try (consumer) {
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
                        byKey.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(r.value());
                    }
                }
            }
        }, "output-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    List<byte[]> get(String id) {
        return byKey.getOrDefault(id, List.of());
    }

    long countPresent(List<String> ids) {
        return ids.stream().filter(byKey::containsKey).count();
    }

    long totalRecords() {
        return byKey.values().stream().mapToLong(List::size).sum();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
    }
}
