package io.streaminfer.job.kafka;

import io.streaminfer.flink.generation.TokenLog;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A token writer that sends each step's records at once and uses its transactions only to be fenced: the records
 * are readable by default (read_uncommitted) consumers as soon as the broker has them, a few milliseconds after
 * their step, and the open transaction is committed every {@code commitIntervalMs} only so that it never times out.
 * When a restored subtask starts the writer of the same transactional ID, Kafka fences this one: from then on it can
 * append nothing, so what the restored subtask reads back is all that readers could ever see. Records are sent on a
 * thread of their own in the order they were published; a publish's future completes when all its records are
 * acknowledged.
 */
final class FencedTokenWriter implements TokenLog.Writer {
    private static final Logger LOG = LoggerFactory.getLogger(FencedTokenWriter.class);
    /** Records queued beyond this make {@link #publish} wait: a broker that stalls slows the engine, not the heap. */
    private static final int MAX_QUEUED = 50_000;

    private record Batch(List<TokenLog.Routed> records, CompletableFuture<Void> done) { }

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final int partitions;
    private final long commitIntervalMs;
    private final Thread thread;
    private final Object lock = new Object();
    private List<Batch> queued = new ArrayList<>();
    private int queuedRecords;
    private boolean closed;
    private volatile Throwable failure;

    FencedTokenWriter(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, long commitIntervalMs,
            String name) {
        this.producer = producer;
        this.topic = topic;
        this.partitions = partitions;
        this.commitIntervalMs = commitIntervalMs;
        this.thread = new Thread(this::run, "tokens-" + name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    @Override
    public CompletableFuture<Void> publish(List<TokenLog.Routed> records) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (lock) {
            while (!closed && failure == null && queuedRecords >= MAX_QUEUED) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    done.completeExceptionally(e);
                    return done;
                }
            }
            if (failure != null || closed) {
                done.completeExceptionally(failure != null ? failure
                        : new IllegalStateException("the token writer is closed"));
                return done;
            }
            queued.add(new Batch(List.copyOf(records), done));
            queuedRecords += records.size();
            lock.notifyAll();
        }
        return done;
    }

    private void run() {
        try {
            producer.beginTransaction();
            long opened = System.currentTimeMillis();
            boolean sentSinceCommit = false;
            while (true) {
                List<Batch> batches;
                synchronized (lock) {
                    long wait = opened + commitIntervalMs - System.currentTimeMillis();
                    while (!closed && failure == null && queued.isEmpty() && !(sentSinceCommit && wait <= 0)) {
                        lock.wait(sentSinceCommit ? Math.max(1, wait) : 0);
                        wait = opened + commitIntervalMs - System.currentTimeMillis();
                    }
                    if (failure != null) {
                        return;
                    }
                    batches = queued;
                    queued = new ArrayList<>();
                    queuedRecords = 0;
                    lock.notifyAll();
                    if (closed && batches.isEmpty()) {
                        break;
                    }
                }
                for (Batch b : batches) {
                    send(b);
                    sentSinceCommit |= !b.records().isEmpty();
                }
                if (sentSinceCommit && System.currentTimeMillis() - opened >= commitIntervalMs) {
                    producer.commitTransaction();
                    producer.beginTransaction();
                    opened = System.currentTimeMillis();
                    sentSinceCommit = false;
                }
            }
            producer.commitTransaction();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void send(Batch b) {
        if (b.records().isEmpty()) {
            b.done().complete(null);
            return;
        }
        AtomicInteger unacknowledged = new AtomicInteger(b.records().size());
        for (TokenLog.Routed r : b.records()) {
            producer.send(KafkaTokenLog.record(topic, partitions, r), (metadata, error) -> {
                if (error != null) {
                    fail(error);
                    b.done().completeExceptionally(error);
                } else if (unacknowledged.decrementAndGet() == 0) {
                    b.done().complete(null);
                }
            });
        }
    }

    /**
     * Fenced by a newer attempt, or the broker refused: this writer is done. Its subtask fails (the futures fail)
     * and the restored one re-runs what was not finished, after what readers saw.
     */
    private void fail(Throwable e) {
        List<Batch> pending;
        synchronized (lock) {
            if (failure != null) {
                return;
            }
            failure = e;
            pending = queued;
            queued = new ArrayList<>();
            lock.notifyAll();
        }
        LOG.error("Token writer for {} failed; failing the records not written", topic, e);
        for (Batch b : pending) {
            b.done().completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close();
    }
}
