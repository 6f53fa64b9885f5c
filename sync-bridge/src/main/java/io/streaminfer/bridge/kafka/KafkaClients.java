package io.streaminfer.bridge.kafka;

import io.streaminfer.bridge.config.BridgeConfig;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Builds the bridge's Kafka clients from its config, with the settings that matter for each role. */
public final class KafkaClients {
    private KafkaClients() {}

    /** Idempotent, acks=all: a request the caller was told is accepted is on the brokers. Low linger for latency. */
    public static KafkaProducer<byte[], byte[]> producer(BridgeConfig config, String clientId) {
        return producer(config, clientId, Map.of());
    }

    /** The same, with {@code overrides} winning over the client settings and the defaults. */
    public static KafkaProducer<byte[], byte[]> producer(BridgeConfig config, String clientId,
            Map<String, Object> overrides) {
        Map<String, Object> p = new HashMap<>(config.kafkaClientProperties());
        p.putAll(overrides);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "1");
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // send() runs on an event-loop thread: never block it for long when the brokers are away (503 instead).
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");
        // A caller waits for the brokers' ack: answer 503 within seconds when they are away, not after 2 minutes.
        // (A timed-out send may still land; the caller's retry gets a new job ID and is answered on its own.)
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
        // Kafka's 1 MiB default would refuse a body the HTTP limit admits; headers and framing get 64 KiB more.
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                String.valueOf(Math.max(1 << 20, config.http.maxBodyBytes + (64 << 10))));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A consumer without a group (partitions are assigned by hand): no rebalance can take its partitions away. */
    public static KafkaConsumer<byte[], byte[]> assignedConsumer(BridgeConfig config, String clientId) {
        return assignedConsumer(config, clientId, Map.of());
    }

    /** The same, with {@code overrides} winning over the client settings and the defaults. */
    public static KafkaConsumer<byte[], byte[]> assignedConsumer(BridgeConfig config, String clientId,
            Map<String, Object> overrides) {
        Map<String, Object> p = new HashMap<>(config.kafkaClientProperties());
        p.putAll(overrides);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * A consumer without a group for the token topic: Kafka's default isolation (read_uncommitted) whatever the
     * client settings say, as the token topic's contract asks ({@code TokenRecord}).
     */
    public static KafkaConsumer<byte[], byte[]> tokenConsumer(BridgeConfig config, String clientId) {
        Map<String, Object> p = new HashMap<>(config.kafkaClientProperties());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** A group member that commits by hand, after its work on a batch is done. */
    public static KafkaConsumer<byte[], byte[]> groupConsumer(BridgeConfig config, String clientId, String groupId) {
        Map<String, Object> p = new HashMap<>(config.kafkaClientProperties());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "200");
        // A batch's callbacks are retried with backoff before the offsets are committed.
        p.putIfAbsent(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "900000");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    public static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
