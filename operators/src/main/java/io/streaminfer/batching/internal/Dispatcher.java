package io.streaminfer.batching.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The queue and the rule for when a free worker dispatches. The only lock of the batcher; everything else runs
 * outside it.
 *
 * <p>A free worker takes a batch at once when no worker is busy (an idle replica must not make a lone request wait),
 * when the next batch is full, or when the oldest queued request has waited {@code maxDelay}. Otherwise, while
 * another worker is busy, it waits for one of these to become true.
 */
public final class Dispatcher {
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on submit, on cancel and on close: anything that can change a waiting worker's decision. */
    private final Condition changed = lock.newCondition();
    private final RequestQueue queue = new RequestQueue();
    private final int maxBatchRows;
    private final long maxDelayNanos;
    private final LongSupplier nanoClock;
    private final LongSupplier epochMillisClock;

    private int busy;
    private volatile boolean closed; // written under the lock; read without it on failure paths
    // Copies for the gauges, which read without the lock.
    private volatile int queuedGauge;
    private volatile int busyGauge;

    public Dispatcher(int maxBatchRows, long maxDelayNanos, LongSupplier nanoClock, LongSupplier epochMillisClock) {
        this.maxBatchRows = maxBatchRows;
        this.maxDelayNanos = maxDelayNanos;
        this.nanoClock = nanoClock;
        this.epochMillisClock = epochMillisClock;
    }

    /** Queues {@code r}; false once closed. */
    public boolean offer(QueuedRequest r) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            queue.add(r, nanoClock.getAsLong());
            queuedGauge = queue.size();
            // One waiter is enough: a worker that takes a batch and leaves work behind wakes the next.
            changed.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Takes a cancelled request out of the queue, if it is still there. */
    public void cancelled(QueuedRequest r) {
        lock.lock();
        try {
            if (queue.remove(r)) {
                queuedGauge = queue.size();
                // The oldest request may have changed, or the queue emptied: let waiters recompute.
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the worker's previous batch and blocks until the next one is due.
     *
     * @param finished the batch this worker just completed, or null
     * @return the next batch, or null once closed
     * @throws InterruptedException when interrupted while waiting; {@code finished} is accounted for even then
     */
    Batch next(Batch finished) throws InterruptedException {
        lock.lock();
        try {
            if (finished != null && finished.runs()) {
                busy--;
                busyGauge = busy;
            }
            while (true) {
                if (closed) {
                    return null;
                }
                if (queue.isEmpty()) {
                    changed.await();
                    continue;
                }
                long now = nanoClock.getAsLong();
                long waited = Math.max(0, now - queue.oldestEnqueuedNanos()); // >= 0: no overflow below
                if (busy == 0 || waited >= maxDelayNanos || queue.nextBatchFull(maxBatchRows)) {
                    Batch batch = take(now);
                    if (batch != null) {
                        return batch;
                    }
                    continue; // everything taken was abandoned
                }
                changed.awaitNanos(maxDelayNanos - waited);
            }
        } finally {
            lock.unlock();
        }
    }

    private Batch take(long nowNanos) {
        Batch batch = new Batch();
        batch.dispatchNanos = nowNanos;
        queue.takeBatch(maxBatchRows, epochMillisClock.getAsLong(), batch.requests, batch.expired);
        queuedGauge = queue.size();
        if (batch.runs()) {
            busy++;
            busyGauge = busy;
        }
        if (!queue.isEmpty()) {
            changed.signal(); // another free worker decides about the rest
        }
        return batch.runs() || !batch.expired.isEmpty() ? batch : null;
    }

    /** Wakes every waiting worker to exit; queued requests stay as they are, their futures incomplete. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    public int queued() {
        return queuedGauge;
    }

    public int busy() {
        return busyGauge;
    }
}
