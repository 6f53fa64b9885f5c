package io.streaminfer.bridge.batch.feed;

import io.streaminfer.bridge.batch.store.BatchKeys;
import io.streaminfer.bridge.batch.store.BatchRecord;
import io.streaminfer.bridge.batch.store.FileRecord;
import io.streaminfer.bridge.batch.store.MetaView;
import io.streaminfer.bridge.batch.store.Progress;
import io.streaminfer.bridge.kafka.TopicReader;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which batches this replica feeds: the bridge replicas share the partitions of the batches topic in one consumer
 * group, and the member that has a partition feeds the batches in it (all records of a batch are in the partition of
 * its ID). When a partition comes, it is read from the beginning (the latest batch object, progress and cancel of
 * each of its batches) and a {@link BatchRun} starts for each batch that has not ended, from its progress; a batch
 * created later starts when its record comes; a cancel goes to its run. When a partition goes (a rebalance: a replica
 * joined, left or died), its runs stop, and the new owner resumes them from their last checkpoint. A run that fails
 * (Kafka away, say) starts again from its checkpoint a few seconds later.
 */
public final class BatchOwnership extends TopicReader implements ConsumerRebalanceListener {
    private static final Logger LOG = LoggerFactory.getLogger(BatchOwnership.class);
    private static final long RETRY_MS = 5_000;
    private static final long STOP_WAIT_MS = 10_000;

    private final String topic;
    private final MetaView view;
    private final BatchRun.Parts parts;
    private final ExecutorService threads;
    private final Map<String, Known> known = new HashMap<>();
    private final Map<TopicPartition, Long> loading = new HashMap<>();
    private final Map<String, BatchRun> running = new HashMap<>();
    private final Map<String, Long> retryAt = new HashMap<>();
    private final Set<String> finished = new HashSet<>();
    private volatile boolean closing;

    /** What the partition says of one batch. */
    private static final class Known {
        final int partition;
        BatchRecord batch;
        byte[] progress;
        Long cancelAtMs;
        /** The view read up to now: an input file missing then is missing (not just written by another replica). */
        CompletableFuture<Void> viewRead;

        Known(int partition) {
            this.partition = partition;
        }
    }

    BatchOwnership(Consumer<byte[], byte[]> groupConsumer, String topic, MetaView view, BatchRun.Parts parts) {
        super(groupConsumer, "batch-ownership", "no batch is fed by this replica until it restarts");
        this.topic = topic;
        this.view = view;
        this.parts = parts;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "batch-run-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        consumer.subscribe(List.of(topic), this);
        startPolling();
    }

    /** The batches this replica feeds now. */
    public synchronized int running() {
        return running.size();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        consumer.seekToBeginning(partitions);
        loading.putAll(ends);
        LOG.info("This replica feeds the batches of {} partitions {}", topic,
                partitions.stream().map(TopicPartition::partition).sorted().toList());
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        release(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        release(partitions);
    }

    /** Stops the runs of partitions that went to another replica, and waits (bounded) for them to stop. */
    private void release(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Set<Integer> gone = new HashSet<>();
        partitions.forEach(tp -> {
            gone.add(tp.partition());
            loading.remove(tp);
        });
        List<BatchRun> stopping = new ArrayList<>();
        synchronized (this) {
            known.values().removeIf(k -> {
                if (!gone.contains(k.partition)) {
                    return false;
                }
                BatchRun run = running.remove(k.batch == null ? null : k.batch.id());
                if (run != null) {
                    run.stop();
                    stopping.add(run);
                }
                return true;
            });
        }
        awaitStopped(stopping);
        LOG.info("This replica no longer feeds the batches of {} partitions {} ({} run(s) stopped)", topic,
                gone.stream().sorted().toList(), stopping.size());
    }

    private static void awaitStopped(List<BatchRun> runs) {
        for (BatchRun r : runs) {
            try {
                r.ended().get(STOP_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.warn("Batch {} did not stop within {} ms", r.batchId(), STOP_WAIT_MS);
            } catch (Exception e) {
                // it ended with its failure: stopped all the same
            }
        }
    }

    @Override
    protected Duration pollTimeout() {
        return Duration.ofMillis(200);
    }

    @Override
    protected void onRecords(ConsumerRecords<byte[], byte[]> records) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            try {
                apply(r);
            } catch (RuntimeException e) {
                LOG.warn("Unreadable record on {} (partition {}, offset {}): {}", r.topic(), r.partition(),
                        r.offset(), e.toString());
            }
        }
        loading.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        reap();
        launch();
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        String batchId = BatchKeys.batchId(key);
        BatchRun run;
        synchronized (this) {
            Known k = known.computeIfAbsent(batchId, id -> new Known(r.partition()));
            switch (BatchKeys.kind(key)) {
                case BATCH -> k.batch = BatchRecord.fromJson(r.value());
                case PROGRESS -> k.progress = r.value();
                case CANCEL -> k.cancelAtMs = cancelAt(r.value());
                default -> { }
            }
            run = BatchKeys.kind(key) == BatchKeys.Kind.CANCEL ? running.get(batchId) : null;
        }
        if (run != null) {
            run.cancel(cancelAt(r.value()));
        }
    }

    private static long cancelAt(byte[] json) {
        try {
            return OipJson.MAPPER.readTree(json).path("at").asLong();
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable cancel record", e);
        }
    }

    /** Forgets runs that ended; a failed one starts again after a pause. */
    private synchronized void reap() {
        running.values().removeIf(run -> {
            if (!run.ended().isDone()) {
                return false;
            }
            if (run.ended().isCompletedExceptionally()) {
                Throwable cause = run.ended().handle((v, e) -> e).join();
                LOG.warn("Batch {} failed; it starts again from its last checkpoint in {} ms", run.batchId(),
                        RETRY_MS, cause);
                retryAt.put(run.batchId(), System.currentTimeMillis() + RETRY_MS);
            } else if (!run.wasStopped()) {
                finished.add(run.batchId());
            }
            return true;
        });
    }

    /** Starts a run for each batch of a loaded partition that has not ended and has none. */
    private synchronized void launch() {
        if (closing || !view.isCaughtUp()) {
            return;
        }
        long now = System.currentTimeMillis();
        for (Known k : known.values()) {
            if (k.batch == null || k.batch.status().isFinal() || running.containsKey(k.batch.id())
                    || finished.contains(k.batch.id()) || loading.containsKey(new TopicPartition(topic,
                            k.partition))) {
                continue;
            }
            Long retry = retryAt.get(k.batch.id());
            if (retry != null && now < retry) {
                continue;
            }
            FileRecord input = view.file(k.batch.inputFileId());
            if (input == null && k.viewRead == null) {
                k.viewRead = view.caughtUp();
            }
            if (input == null && !k.viewRead.isDone()) {
                continue;
            }
            retryAt.remove(k.batch.id());
            Progress progress = k.progress == null ? null : Progress.fromJson(k.progress);
            BatchRun run = new BatchRun(parts, k.batch, progress, k.cancelAtMs, input);
            running.put(k.batch.id(), run);
            threads.execute(run);
        }
    }

    @Override
    protected void beforePoll() {
        if (!loading.isEmpty()) {
            loading.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        }
        reap();
        launch();
    }

    @Override
    public void close() {
        closing = true;
        List<BatchRun> stopping;
        synchronized (this) {
            stopping = new ArrayList<>(running.values());
            running.clear();
        }
        stopping.forEach(BatchRun::stop);
        awaitStopped(stopping);
        super.close(); // leaves the group: another replica takes the partitions at once
        threads.shutdownNow();
    }
}
