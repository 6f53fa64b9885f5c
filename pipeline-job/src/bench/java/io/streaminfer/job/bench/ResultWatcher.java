package io.streaminfer.job.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the results topic on its own thread and records when each request's first result arrived. Request IDs are
 * {@code <phase letter>-<index>}, so an arrival is a store into a long[] per phase: no map, no boxing, no
 * per-record allocation beyond the consumer's own, which matters at 10k+ results/s on two cores.
 */
public final class ResultWatcher implements AutoCloseable {
    private static final byte[] ERROR_PREFIX = "{\"error\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final long[][] arrivals = new long[128][];
    private final AtomicInteger[] counts = new AtomicInteger[128];
    private final AtomicInteger[] errors = new AtomicInteger[128];
    private final String[] firstErrors = new String[128];
    private final Thread thread;
    private volatile boolean running = true;

    public ResultWatcher(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-result-watcher");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // Latency is measured at arrival here: do not let the broker hold fetches back for long (but not so short
        // that an idle watcher's fetches cost the broker, on the same cores, a visible share of CPU).
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
        List<TopicPartition> tps = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(30))
                .forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        thread = new Thread(() -> {
            try (consumer) {
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                        record(r.key(), r.value(), System.nanoTime());
                    }
                }
            }
        }, "bench-result-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    /** Prepares a phase of {@code n} requests; call it before sending them. */
    public synchronized void expect(char phase, int n) {
        arrivals[phase] = new long[n];
        errors[phase] = new AtomicInteger();
        counts[phase] = new AtomicInteger();
    }

    private void record(byte[] key, byte[] value, long now) {
        if (key == null || key.length < 3 || key[0] >= 128 || counts[key[0]] == null) {
            return;
        }
        long[] a = arrivals[key[0]];
        int i = 0;
        for (int k = 2; k < key.length; k++) {
            i = i * 10 + (key[k] - '0');
        }
        if (i < a.length && a[i] == 0) { // at-least-once: the first copy of a result counts
            a[i] = now;
            if (value != null && java.util.Arrays.equals(value, 0, Math.min(value.length, ERROR_PREFIX.length),
                    ERROR_PREFIX, 0, ERROR_PREFIX.length)) {
                if (errors[key[0]].incrementAndGet() == 1) {
                    firstErrors[key[0]] = new String(value, java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            counts[key[0]].incrementAndGet(); // last: a reader that sees the count sees the arrival time
        }
    }

    /** Arrival times (System.nanoTime) by request index; 0 where no result came. */
    public long[] arrivals(char phase) {
        return arrivals[phase];
    }

    public int errors(char phase) {
        return errors[phase].get();
    }

    /** The first error result of a phase, or null. */
    public String firstError(char phase) {
        return firstErrors[phase];
    }

    /**
     * Waits until every request of a phase has a result, or no new result came for {@code stall}; returns how
     * many have one.
     */
    public int await(char phase, Duration stall) throws InterruptedException {
        int n = arrivals[phase].length;
        int last = -1;
        long lastProgress = System.nanoTime();
        while (counts[phase].get() < n) {
            int now = counts[phase].get();
            if (now != last) {
                last = now;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > stall.toNanos()) {
                break;
            }
            Thread.sleep(5); // the benchmark's main thread polling progress; the consumer thread timestamps
        }
        return counts[phase].get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
    }
}
