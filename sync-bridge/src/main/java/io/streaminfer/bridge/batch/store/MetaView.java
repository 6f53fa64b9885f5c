package io.streaminfer.bridge.batch.store;

import io.streaminfer.bridge.kafka.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files and batches as this replica sees them, materialized from the compacted files and batches topics (read from
 * the beginning, every partition), so any replica, also a restarted one, answers for every file and batch. Small:
 * metadata only, never a file's bytes. This replica's own writes show at once; another replica's once read, which
 * {@link #caughtUp()} waits for (a client that created a batch on one replica and asks another).
 */
public final class MetaView extends TopicReader {
    private static final Logger LOG = LoggerFactory.getLogger(MetaView.class);

    private final String filesTopic;
    private final String batchesTopic;
    private final Map<String, FileRecord> files = new HashMap<>();
    private final Set<String> deleted = new HashSet<>();
    private final Map<String, BatchRecord> batches = new HashMap<>();
    private final Map<String, Progress> progress = new HashMap<>();
    private final Map<String, Long> cancels = new HashMap<>();
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> catchUps = new ConcurrentLinkedQueue<>();
    private final List<Waiting> waiting = new ArrayList<>();
    private volatile boolean caughtUp;

    private record Waiting(Map<TopicPartition, Long> ends, CompletableFuture<Void> done) { }

    public MetaView(Consumer<byte[], byte[]> consumer, String filesTopic, String batchesTopic) {
        super(consumer, "batch-view", "file and batch queries are stale until the bridge restarts");
        this.filesTopic = filesTopic;
        this.batchesTopic = batchesTopic;
    }

    public void start() {
        Map<String, String> topics = new LinkedHashMap<>();
        topics.put(filesTopic, "create it (create-topics, docs/batch.md) or fix topics.files");
        topics.put(batchesTopic, "create it (create-topics, docs/batch.md) or fix topics.batches");
        startFromBeginning(topics);
    }

    /** True once everything that was on the topics at start-up has been read. */
    public boolean isCaughtUp() {
        return caughtUp;
    }

    /** Completes once this view has read everything on the topics now (at most a poll's wait later). */
    public CompletableFuture<Void> caughtUp() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        catchUps.add(f);
        return f;
    }

    public synchronized FileRecord file(String id) {
        return files.get(id);
    }

    /** Every file, newest first. */
    public synchronized List<FileRecord> files() {
        List<FileRecord> all = new ArrayList<>(files.values());
        all.sort(Comparator.comparingLong(FileRecord::createdAt).thenComparing(FileRecord::id).reversed());
        return all;
    }

    public synchronized BatchRecord batch(String id) {
        return batches.get(id);
    }

    /** Every batch, newest first (OpenAI's list order). */
    public synchronized List<BatchRecord> batches() {
        List<BatchRecord> all = new ArrayList<>(batches.values());
        all.sort(Comparator.comparingLong(BatchRecord::createdAt).thenComparing(BatchRecord::id).reversed());
        return all;
    }

    public synchronized Progress progress(String batchId) {
        return progress.get(batchId);
    }

    /** When the batch was cancelled (epoch ms); null when it was not. */
    public synchronized Long cancelledAt(String batchId) {
        return cancels.get(batchId);
    }

    synchronized void putFile(FileRecord f) {
        files.put(f.id(), f);
    }

    synchronized void removeFile(String id) {
        if (files.remove(id) != null) {
            deleted.add(id);
        }
    }

    synchronized void putBatch(BatchRecord b) {
        BatchRecord old = batches.get(b.id());
        // A replica sees its own writes before it reads older records of the same batch: never go back.
        if (old == null || rank(b.status()) >= rank(old.status())) {
            batches.put(b.id(), b);
        }
    }

    private static int rank(BatchStatus s) {
        return switch (s) {
            case VALIDATING -> 0;
            case IN_PROGRESS, CANCELLING -> 1;
            case FINALIZING -> 2;
            default -> 3;
        };
    }

    synchronized void putProgress(String batchId, byte[] json) {
        Progress p = Progress.fromJson(json);
        Progress old = progress.get(batchId);
        if (old == null || p.completed() + p.failed() >= old.completed() + old.failed()) {
            progress.put(batchId, p);
        }
    }

    synchronized void putCancel(String batchId, long atMs) {
        cancels.putIfAbsent(batchId, atMs);
    }

    @Override
    protected void beforePoll() {
        for (CompletableFuture<Void> f; (f = catchUps.poll()) != null; ) {
            waiting.add(new Waiting(consumer.endOffsets(consumer.assignment()), f));
        }
        checkWaiting();
    }

    @Override
    protected Duration pollTimeout() {
        return Duration.ofMillis(100);
    }

    @Override
    protected void onRecords(ConsumerRecords<byte[], byte[]> records) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            try {
                apply(r);
            } catch (RuntimeException e) {
                LOG.warn("Unreadable record on {} (offset {}): {}", r.topic(), r.offset(), e.toString());
            }
        }
        if (!caughtUp && reachedStartEnds()) {
            caughtUp = true;
            LOG.info("Batch view caught up: {} files, {} batches", files.size(), batches.size());
        }
        checkWaiting();
    }

    private void checkWaiting() {
        waiting.removeIf(w -> {
            if (reached(w.ends())) {
                w.done().complete(null);
                return true;
            }
            return false;
        });
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null) {
            return;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        if (r.topic().equals(filesTopic)) {
            synchronized (this) {
                if (r.value() == null) {
                    files.remove(key);
                    deleted.remove(key);
                } else if (!deleted.contains(key)) {
                    files.put(key, FileRecord.fromJson(r.value()));
                }
            }
            return;
        }
        String batchId = BatchKeys.batchId(key);
        if (r.value() == null) {
            return; // batches are not deleted
        }
        switch (BatchKeys.kind(key)) {
            case BATCH -> putBatch(BatchRecord.fromJson(r.value()));
            case PROGRESS -> putProgress(batchId, r.value());
            case CANCEL -> putCancel(batchId, BatchLog.cancelAt(r.value()));
            default -> { }
        }
    }

    @Override
    public void close() {
        super.close();
        for (CompletableFuture<Void> f : catchUps) {
            f.complete(null);
        }
        synchronized (this) {
            waiting.forEach(w -> w.done().complete(null));
        }
    }
}
