package io.streaminfer.job.bench;

import io.streaminfer.job.InferencePipeline;
import io.streaminfer.job.config.JobConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The job's Kafka traffic without Flink: the floor under the pipeline's cost per request on this machine. One thread
 * per requests partition (the job's parallelism) reads the requests with the job's source settings and writes, for
 * each, what the job writes: an ACCEPTED status, the result, the final status. Those records are copies of records
 * the job itself wrote in the phase before (its headers and values, so their sizes are the job's), keyed by the
 * request's ID, through a results and a status producer per thread with the job's sink settings. Every checkpoint
 * interval it flushes both producers and commits its offsets, as the at-least-once sinks and the source do at a
 * checkpoint. No parsing, no state, no model, no Flink.
 *
 * <pre>{@code
 * Samples samples = KafkaAlone.Samples.read(bootstrap, "bench-noop.results", "bench-noop.status");
 * try (KafkaAlone relay = new KafkaAlone(config, samples, 2)) {
 *     // produce to config.topics.requests; results appear on config.topics.results
 * }
 * }</pre>
 */
final class KafkaAlone implements AutoCloseable {
    private static final byte[] ACCEPTED = "\"ACCEPTED\"".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_SAMPLES = 2_000;

    /** Records the job wrote: results, ACCEPTED statuses and final statuses, each at least one. */
    record Samples(List<Copy> results, List<Copy> accepted, List<Copy> finals) {
        /** Reads up to 2,000 records of each kind from the start of the job's results and status topics. */
        static Samples read(String bootstrap, String resultsTopic, String statusTopic) {
            List<Copy> results = new ArrayList<>();
            List<Copy> accepted = new ArrayList<>();
            List<Copy> finals = new ArrayList<>();
            readTopic(bootstrap, resultsTopic, r -> keep(results, r), () -> results.size() >= MAX_SAMPLES);
            readTopic(bootstrap, statusTopic, r -> keep(contains(r.value(), ACCEPTED) ? accepted : finals, r),
                    () -> accepted.size() >= MAX_SAMPLES && finals.size() >= MAX_SAMPLES);
            if (results.isEmpty() || accepted.isEmpty() || finals.isEmpty()) {
                throw new IllegalStateException("the job's topics " + resultsTopic + " and " + statusTopic
                        + " hold " + results.size() + " results, " + accepted.size() + " ACCEPTED and "
                        + finals.size() + " final statuses: run the job's phase first");
            }
            return new Samples(results, accepted, finals);
        }

        private static void keep(List<Copy> kind, ConsumerRecord<byte[], byte[]> r) {
            if (kind.size() < MAX_SAMPLES) {
                kind.add(Copy.of(r));
            }
        }
    }

    /** A record's value and headers, to be written again under another key. */
    record Copy(byte[] value, Headers headers) {
        static Copy of(ConsumerRecord<byte[], byte[]> r) {
            return new Copy(r.value(), new RecordHeaders(r.headers().toArray()));
        }
    }

    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    private volatile Throwable failure;

    /** Starts {@code partitions} relay threads on the config's topics. */
    KafkaAlone(JobConfig config, Samples samples, int partitions) {
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(config.topics.requests, p);
            Thread t = new Thread(() -> relay(config, samples, tp), "kafka-alone-relay-" + p);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void relay(JobConfig config, Samples samples, TopicPartition tp) {
        Properties c = InferencePipeline.sourceProperties(config);
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka.bootstrapServers);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.kafka.groupId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"); // as Flink's source: offsets at checkpoints
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long interval = config.checkpointing.intervalMs * 1_000_000L;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
                KafkaProducer<byte[], byte[]> results = new KafkaProducer<>(producer(config, "results"));
                KafkaProducer<byte[], byte[]> status = new KafkaProducer<>(producer(config, "status"))) {
            consumer.assign(List.of(tp));
            String resultsTopic = config.topics.results;
            String statusTopic = config.topics.status;
            int i = 0;
            long lastCommit = System.nanoTime();
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    Copy a = samples.accepted().get(i % samples.accepted().size());
                    Copy res = samples.results().get(i % samples.results().size());
                    Copy f = samples.finals().get(i % samples.finals().size());
                    i++;
                    status.send(new ProducerRecord<>(statusTopic, null, null, r.key(), a.value(), a.headers()));
                    results.send(new ProducerRecord<>(resultsTopic, null, null, r.key(), res.value(), res.headers()));
                    status.send(new ProducerRecord<>(statusTopic, null, null, r.key(), f.value(), f.headers()));
                }
                if (System.nanoTime() - lastCommit >= interval) {
                    results.flush();
                    status.flush();
                    consumer.commitAsync();
                    lastCommit = System.nanoTime();
                }
            }
        } catch (Throwable e) {
            failure = e;
        }
    }

    private static Properties producer(JobConfig config, String sink) {
        Properties p = InferencePipeline.sinkProperties(config, sink);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka.bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    private static void readTopic(String bootstrap, String topic,
            java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> take, java.util.function.BooleanSupplier full) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            int emptyPolls = 0;
            while (!full.getAsBoolean() && emptyPolls < 3) {
                var records = consumer.poll(Duration.ofMillis(500));
                emptyPolls = records.isEmpty() ? emptyPolls + 1 : 0;
                records.forEach(take);
            }
        }
    }

    private static boolean contains(byte[] value, byte[] part) {
        if (value == null) {
            return false;
        }
        outer:
        for (int i = 0; i + part.length <= value.length; i++) {
            for (int k = 0; k < part.length; k++) {
                if (value[i + k] != part[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(10_000);
        }
        if (failure != null) {
            throw new IllegalStateException("a Kafka-alone relay thread failed", failure);
        }
    }
}
