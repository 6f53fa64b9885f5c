package io.streaminfer.job.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The embedded KRaft broker: plain records with keys and headers, transactions, auto-creation off, restart. */
class EmbeddedKafkaIT {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaIT.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void start() {
        long t0 = System.nanoTime();
        kafka = EmbeddedKafka.start();
        LOG.info("cold start of EmbeddedKafka: {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
            assertThat(kafka.dataDir()).doesNotExist();
        }
    }

    @Test
    void recordsWithKeysAndHeadersRoundTrip() throws Exception {
        String topic = EmbeddedKafka.uniqueTopic("plain");
        kafka.createTopic(topic, 3, Map.of("retention.ms", "3600000"));
        assertThat(kafka.admin().describeTopics(List.of(topic)).allTopicNames().get()
                .get(topic).partitions()).hasSize(3);

        try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
            for (int i = 0; i < 100; i++) {
                RecordHeaders h = new RecordHeaders();
                h.add("seq", Integer.toString(i).getBytes(UTF_8));
                h.add("kind", "test".getBytes(UTF_8));
                p.send(new ProducerRecord<>(topic, null, ("k" + i).getBytes(UTF_8), ("v" + i).getBytes(UTF_8), h));
            }
            p.flush();
        }

        List<ConsumerRecord<byte[], byte[]>> got = kafka.drain(topic, 100, TIMEOUT);
        assertThat(got).hasSize(100);
        assertThat(got).extracting(ConsumerRecord::partition).containsOnly(0, 1, 2);
        got.sort(Comparator.comparingInt(r -> Integer.parseInt(new String(r.headers().lastHeader("seq").value(), UTF_8))));
        for (int i = 0; i < 100; i++) {
            ConsumerRecord<byte[], byte[]> r = got.get(i);
            assertThat(new String(r.key(), UTF_8)).isEqualTo("k" + i);
            assertThat(new String(r.value(), UTF_8)).isEqualTo("v" + i);
            assertThat(r.headers().toArray()).extracting(Header::key).containsExactly("seq", "kind");
            assertThat(new String(r.headers().lastHeader("kind").value(), UTF_8)).isEqualTo("test");
        }
        // Same key, same partition.
        assertThat(got.stream().filter(r -> new String(r.key(), UTF_8).equals("k7")).map(ConsumerRecord::partition))
                .hasSize(1);

        assertThat(kafka.readAll(topic, TIMEOUT)).hasSize(100);
    }

    @Test
    void committedTransactionsAreVisibleAndAbortedOnesAreNot() {
        String topic = EmbeddedKafka.uniqueTopic("tx");
        kafka.createTopic(topic, 2, Map.of());

        KafkaProducer<byte[], byte[]> p = kafka.transactionalProducer(EmbeddedKafka.uniqueTopic("txid"));
        p.beginTransaction();
        for (int i = 0; i < 10; i++) {
            p.send(new ProducerRecord<>(topic, ("c" + i).getBytes(UTF_8), ("committed-" + i).getBytes(UTF_8)));
        }
        p.commitTransaction();

        p.beginTransaction();
        for (int i = 0; i < 5; i++) {
            p.send(new ProducerRecord<>(topic, ("a" + i).getBytes(UTF_8), ("aborted-" + i).getBytes(UTF_8)));
        }
        p.flush();
        p.abortTransaction();

        // An open transaction holds read_committed consumers at the last stable offset.
        p.beginTransaction();
        p.send(new ProducerRecord<>(topic, "o".getBytes(UTF_8), "open".getBytes(UTF_8)));
        p.flush();

        List<ConsumerRecord<byte[], byte[]>> committed = kafka.drain(topic, 11, Duration.ofSeconds(2));
        assertThat(committed).extracting(r -> new String(r.value(), UTF_8))
                .hasSize(10).allMatch(v -> v.startsWith("committed-"));
        assertThat(kafka.readAll(topic, TIMEOUT)).hasSize(10);

        // The aborted and the open records are in the log all the same.
        List<ConsumerRecord<byte[], byte[]>> all = kafka.drain(topic, 16, TIMEOUT, IsolationLevel.READ_UNCOMMITTED);
        assertThat(all).extracting(r -> new String(r.value(), UTF_8))
                .hasSize(16).filteredOn(v -> v.startsWith("aborted-")).hasSize(5);

        p.commitTransaction();
        assertThat(kafka.drain(topic, 11, TIMEOUT)).extracting(r -> new String(r.value(), UTF_8))
                .hasSize(11).contains("open").noneMatch(v -> v.startsWith("aborted-"));
        p.close();
    }

    @Test
    void topicsAreNotCreatedAutomatically() {
        String typo = EmbeddedKafka.uniqueTopic("typo");
        Properties props = kafka.producerProps();
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");
        try (KafkaProducer<byte[], byte[]> p = kafka.producer(props)) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>(typo, "x".getBytes(UTF_8))).get())
                    .hasMessageContaining(typo);
        }
        assertThat(kafka.listTopics()).doesNotContain(typo);
    }

    @Test
    void transactionVersionDefaultsToTwoAndCanBeOne() throws Exception {
        assertThat(finalizedLevel(kafka, "transaction.version")).isEqualTo((short) 2);
        try (EmbeddedKafka tv1 = EmbeddedKafka.start(Map.of(), Map.of("transaction.version", (short) 1))) {
            assertThat(finalizedLevel(tv1, "transaction.version")).isEqualTo((short) 1);
            tv1.createTopic("tv1");
            KafkaProducer<byte[], byte[]> p = tv1.transactionalProducer("tv1-tx");
            p.beginTransaction();
            p.send(new ProducerRecord<>("tv1", "x".getBytes(UTF_8)));
            p.commitTransaction();
            assertThat(tv1.drain("tv1", 1, TIMEOUT)).hasSize(1);
        }
    }

    private static short finalizedLevel(EmbeddedKafka k, String feature) throws Exception {
        return k.admin().describeFeatures().featureMetadata().get().finalizedFeatures().get(feature).maxVersionLevel();
    }

    /** A second broker in the same JVM, stopped and started again on the same port with its data. */
    @Test
    void brokerRestartsOnTheSamePortWithItsData() {
        long t0 = System.nanoTime();
        try (EmbeddedKafka second = EmbeddedKafka.start()) {
            LOG.info("warm start of a second EmbeddedKafka: {} ms",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertThat(second.bootstrapServers()).isNotEqualTo(kafka.bootstrapServers());
            String topic = "restart";
            second.createTopic(topic, 2, Map.of());
            KafkaProducer<byte[], byte[]> tx = second.transactionalProducer("restart-tx");
            tx.beginTransaction();
            for (int i = 0; i < 20; i++) {
                tx.send(new ProducerRecord<>(topic, ("k" + i).getBytes(UTF_8), ("before-" + i).getBytes(UTF_8)));
            }
            tx.commitTransaction();
            String bootstrap = second.bootstrapServers();

            long t1 = System.nanoTime();
            second.stopBroker();
            assertThat(second.isBrokerRunning()).isFalse();
            second.startBroker();
            LOG.info("broker stop + start: {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));

            assertThat(second.bootstrapServers()).isEqualTo(bootstrap);
            assertThat(second.drain(topic, 20, TIMEOUT)).hasSize(20);
            // The producer made before the restart reconnects and its transactional id still works.
            tx.beginTransaction();
            for (int i = 0; i < 5; i++) {
                tx.send(new ProducerRecord<>(topic, ("k" + i).getBytes(UTF_8), ("after-" + i).getBytes(UTF_8)));
            }
            tx.commitTransaction();
            assertThat(second.drain(topic, 25, TIMEOUT)).hasSize(25);
        }
    }
}
