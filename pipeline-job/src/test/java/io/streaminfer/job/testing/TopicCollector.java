package io.streaminfer.job.testing;

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

/** Reads a topic from the beginning on a background thread and keeps its records by key, for tests to await on. */
public final class TopicCollector implements AutoCloseable {
    private final Map<String, List<ConsumerRecord<byte[], byte[]>>> byKey = new ConcurrentHashMap<>();
    private final List<ConsumerRecord<byte[], byte[]>> all = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    /** @param isolation read_committed or read_uncommitted */
    public TopicCollector(String bootstrap, String topic, String isolation) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
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
                        all.add(r);
                        String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
                        byKey.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(r);
                    }
                }
            }
        }, "collector-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    public List<ConsumerRecord<byte[], byte[]>> get(String key) {
        return byKey.getOrDefault(key, List.of());
    }

    /** The values of a key's records, in arrival order. */
    public List<byte[]> values(String key) {
        return get(key).stream().map(ConsumerRecord::value).toList();
    }

    public boolean has(String key) {
        return byKey.containsKey(key);
    }

    /** How many of the keys have at least one record. */
    public long countPresent(List<String> keys) {
        return keys.stream().filter(byKey::containsKey).count();
    }

    public List<ConsumerRecord<byte[], byte[]>> all() {
        return all;
    }

    public static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
    }
}
