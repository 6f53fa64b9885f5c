package io.streaminfer.bridge.jobs;

import io.streaminfer.bridge.kafka.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Finds a finished job's result on the results topic, without any replica having to read everyone's results: the
 * partition follows from the job ID ({@link JobIds#resultPartition}), the offset from the job's status times
 * (Kafka's time index), and a short scan from there finds the record with the job's key. Found results are cached.
 */
public final class ResultLookup implements AutoCloseable {
    private static final long SCAN_LIMIT_MS = 10_000;

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final long slackMs;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "result-lookup");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Reply> cache;
    private int partitions;

    public ResultLookup(Consumer<byte[], byte[]> consumer, String topic, long slackMs, int cacheEntries) {
        this.consumer = consumer;
        this.topic = topic;
        this.slackMs = slackMs;
        this.cache = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Reply> eldest) {
                return size() > cacheEntries;
            }
        };
    }

    /** The result of a job whose status says it ended between {@code acceptedAt} and {@code updatedAt}. */
    public CompletableFuture<Optional<Reply>> find(String jobId, long acceptedAt, long updatedAt) {
        synchronized (cache) {
            Reply cached = cache.get(jobId);
            if (cached != null) {
                return CompletableFuture.completedFuture(Optional.of(cached));
            }
        }
        return CompletableFuture.supplyAsync(() -> {
            Optional<Reply> found = scan(jobId, acceptedAt - slackMs, updatedAt + slackMs);
            found.ifPresent(r -> {
                synchronized (cache) {
                    cache.put(jobId, r);
                }
            });
            return found;
        }, thread);
    }

    private Optional<Reply> scan(String jobId, long fromMs, long toMs) {
        if (partitions == 0) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            partitions = infos == null ? 0 : infos.size();
            if (partitions == 0) {
                throw new IllegalStateException("topic '" + topic + "' does not exist");
            }
        }
        TopicPartition tp = new TopicPartition(topic, JobIds.resultPartition(jobId, partitions));
        consumer.assign(List.of(tp));
        OffsetAndTimestamp start = consumer.offsetsForTimes(Map.of(tp, Math.max(0, fromMs))).get(tp);
        if (start == null) {
            return Optional.empty(); // nothing at or after that time: expired by retention, or never written
        }
        long end = consumer.endOffsets(List.of(tp)).get(tp);
        consumer.seek(tp, start.offset());
        byte[] key = jobId.getBytes(StandardCharsets.UTF_8);
        long giveUp = System.currentTimeMillis() + SCAN_LIMIT_MS;
        while (consumer.position(tp) < end && System.currentTimeMillis() < giveUp) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.timestamp() > toMs) {
                    return Optional.empty();
                }
                if (java.util.Arrays.equals(key, r.key())) {
                    return Optional.of(Reply.of(r));
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        thread.submit(() -> consumer.close(Duration.ofSeconds(2)));
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
