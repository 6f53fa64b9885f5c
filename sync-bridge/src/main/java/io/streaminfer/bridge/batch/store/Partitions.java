package io.streaminfer.bridge.batch.store;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.utils.Utils;

/** The partition of an ID on a topic, as Kafka's producer places a key; partition counts asked once per topic. */
final class Partitions {
    private final Producer<byte[], byte[]> producer;
    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    Partitions(Producer<byte[], byte[]> producer) {
        this.producer = producer;
    }

    int of(String topic, String id) {
        int n = counts.computeIfAbsent(topic, t -> producer.partitionsFor(t).size());
        return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % n;
    }
}
