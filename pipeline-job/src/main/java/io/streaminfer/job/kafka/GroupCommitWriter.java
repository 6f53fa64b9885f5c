package io.streaminfer.job.kafka;

import io.streaminfer.flink.generation.TokenLog;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transactional writer that commits as often as commits complete: while one transaction commits, the next steps'
 * records queue up, and the next transaction carries all of them. So a step's records are readable about one commit
 * after they are published however fast steps come, and the commit rate adapts to the broker. Records are sent in
 * the order they were published; their futures complete in that order, when their transaction committed.
 */
final class GroupCommitWriter implements TokenLog.Writer {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
    /** Records queued beyond this make {@link #publish} wait: a broker that stalls slows the engine, not the heap. */
    private static final int MAX_QUEUED = 50_000;

    private record Batch(List<TokenLog.Routed> records, CompletableFuture<Void> done) { }

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final int partitions;
    private final Thread thread;
    private final Object lock = new Object();
    private List<Batch> queued = new ArrayList<>();
    private int queuedRecords;
    private boolean closed;
    private Throwable failure;

    GroupCommitWriter(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, String name) {
        this.producer = producer;
        this.topic = topic;
        this.partitions = partitions;
        this.thread = new Thread(this::run, "commit-" + name);
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
        while (true) {
            List<Batch> batches;
            synchronized (lock) {
                while (!closed && queued.isEmpty()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queued.isEmpty()) {
                    return; // closed, and everything before it committed
                }
                batches = queued;
                queued = new ArrayList<>();
                queuedRecords = 0;
                lock.notifyAll();
            }
            try {
                producer.beginTransaction();
                for (Batch b : batches) {
                    for (TokenLog.Routed r : b.records()) {
                        producer.send(KafkaTokenLog.record(topic, partitions, r));
                    }
                }
                producer.commitTransaction();
                for (Batch b : batches) {
                    b.done().complete(null);
                }
            } catch (RuntimeException e) {
                // Fenced by a newer attempt, or the broker failed the transaction: this writer is done; its
                // subtask fails, and the records are written again by the re-run after the restore.
                LOG.error("Token writer for {} failed; failing the records not committed", topic, e);
                synchronized (lock) {
                    failure = e;
                    for (Batch b : queued) {
                        b.done().completeExceptionally(e);
                    }
                    queued.clear();
                    lock.notifyAll();
                }
                for (Batch b : batches) {
                    b.done().completeExceptionally(e);
                }
                return;
            }
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
