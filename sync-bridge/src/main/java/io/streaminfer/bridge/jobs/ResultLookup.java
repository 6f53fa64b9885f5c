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
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Finds a finished job's result on the results topic, without any replica having to read everyone's results: the
 * partition follows from the job ID ({@link JobIds#resultPartition}), the offset from the job's status times
 * (Kafka's time index), and a short scan from there finds the record with the job's key. Found results are cached.
 *
 * <p>A job's final status and its result are written by two producers (two transactions under exactly-once), so a
 * reader of the status topic can see a job end before its result is readable. For a job that ended recently (within
 * {@value #RECENTLY_ENDED_MS} ms: a checkpoint interval and a commit, well inside any results retention) a lookup that reaches the end of the partition keeps reading for up to {@value #PENDING_RESULT_MS}
 * ms for the result to appear, instead of answering that there is none; a job that ended long ago is answered at once.
 */
public final class ResultLookup implements AutoCloseable {
    private static final long SCAN_LIMIT_MS = 10_000;
    /** How long a recently ended job's result may take to become readable after its final status. */
    static final long PENDING_RESULT_MS = 5_000;
    static final long RECENTLY_ENDED_MS = 600_000;
    private static final Duration POLL = Duration.ofMillis(200);

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final long slackMs;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "result-lookup");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Reply> cache;
    private final AtomicLong awaited = new AtomicLong();
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
            Optional<Reply> found = scan(jobId, acceptedAt - slackMs, updatedAt + slackMs,
                    System.currentTimeMillis() - updatedAt <= RECENTLY_ENDED_MS);
            found.ifPresent(r -> {
                synchronized (cache) {
                    cache.put(jobId, r);
                }
            });
            return found;
        }, thread);
    }

    /** Lookups that reached the end of the partition before the result of a job that had just ended, and waited. */
    public long resultsAwaited() {
        return awaited.get();
    }

    private Optional<Reply> scan(String jobId, long fromMs, long toMs, boolean endedRecently) {
        if (partitions == 0) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            partitions = infos == null ? 0 : infos.size();
            if (partitions == 0) {
                throw new IllegalStateException("topic '" + topic + "' does not exist");
            }
        }
        TopicPartition tp = new TopicPartition(topic, JobIds.resultPartition(jobId, partitions));
        consumer.assign(List.of(tp));
        long end = consumer.endOffsets(List.of(tp)).get(tp);
        OffsetAndTimestamp start = consumer.offsetsForTimes(Map.of(tp, Math.max(0, fromMs))).get(tp);
        // Nothing readable at or after that time (expired by retention, never written, or not readable yet): a
        // result that is still to come lands after the current end.
        consumer.seek(tp, start != null ? start.offset() : end);
        byte[] key = jobId.getBytes(StandardCharsets.UTF_8);
        long now = System.currentTimeMillis();
        long giveUp = now + SCAN_LIMIT_MS;
        long waitUntil = endedRecently ? now + PENDING_RESULT_MS : now;
        boolean waited = false;
        while (System.currentTimeMillis() < giveUp) {
            if (consumer.position(tp) >= end) {
                if (System.currentTimeMillis() >= waitUntil) {
                    return Optional.empty();
                }
                if (!waited) {
                    waited = true;
                    awaited.incrementAndGet();
                }
                end = consumer.endOffsets(List.of(tp)).get(tp); // the poll below waits when nothing new is there
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
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
