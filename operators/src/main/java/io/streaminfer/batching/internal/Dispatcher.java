package io.streaminfer.batching.internal;

import io.streaminfer.batching.Work;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The queue, the rule for when a free worker dispatches, and the bound on queued work. The only lock of the batcher;
 * everything else runs outside it.
 *
 * <p>A free worker takes a batch at once when no worker is busy (an idle replica must not make a lone request wait),
 * when the next batch is full, or when the oldest queued request has waited {@code maxDelay}. Otherwise, while
 * another worker is busy, it waits for one of these to become true. Submitters wait in {@link #awaitRoom} while the
 * queued work is at its bound; a batch leaving the queue makes room.
 */
public final class Dispatcher<T> {
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on submit, on cancel and on close: anything that can change a waiting worker's decision. */
    private final Condition changed = lock.newCondition();
    /** Signalled when queued work drops (a batch taken, a cancel) and on close. */
    private final Condition room = lock.newCondition();
    private final RequestQueue<T> queue;
    private final int maxBatchRows;
    private final long maxBatchCost;
    private final long maxDelayNanos;
    private final long maxQueuedWork;
    private final LongSupplier nanoClock;
    private final LongSupplier epochMillisClock;

    private int busy;
    private int stuck;
    private volatile boolean closed; // written under the lock; read without it on failure paths
    // Copies for the gauges, which read without the lock.
    private volatile int queuedGauge;
    private volatile long queuedWorkGauge;
    private volatile int busyGauge;
    private volatile int stuckGauge;

    public Dispatcher(int maxBatchRows, long maxBatchCost, long maxDelayNanos, long maxQueuedWork,
            LongSupplier nanoClock, LongSupplier epochMillisClock) {
        this.queue = new RequestQueue<>(maxBatchCost > 0);
        this.maxBatchRows = maxBatchRows;
        this.maxBatchCost = maxBatchCost;
        this.maxDelayNanos = maxDelayNanos;
        this.maxQueuedWork = maxQueuedWork;
        this.nanoClock = nanoClock;
        this.epochMillisClock = epochMillisClock;
    }

    /** Queues {@code r}; false once closed. */
    public boolean offer(QueuedRequest<T> r) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            boolean wasEmpty = queue.isEmpty();
            queue.add(r, nanoClock.getAsLong());
            gauges();
            // Wake a worker only when that changes what it does: the replica is idle (dispatch now), the queue was
            // empty (start the maxDelay wait), or the next batch is full. A worker already waiting out maxDelay
            // wakes by itself; waking it per request would cost a context switch per request. One waiter is enough:
            // a worker that takes a batch and leaves work behind wakes the next.
            if (busy == 0 || wasEmpty || queue.nextBatchFull(maxBatchRows, maxBatchCost)) {
                changed.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks while the queue holds work and {@code work} more would pass the bound; returns at once when the queue is
     * empty (a request over the bound on its own still gets in) or the batcher is closed.
     */
    public void awaitRoom(long work) throws InterruptedException {
        lock.lock();
        try {
            while (!closed && queue.work() > 0 && queue.work() + work > maxQueuedWork) {
                room.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** What a request of {@code w} would add to the queued work. */
    public long workOf(Work w) {
        return queue.workOf(w);
    }

    /** Takes a cancelled request out of the queue, if it is still there. */
    public void cancelled(QueuedRequest<T> r) {
        lock.lock();
        try {
            if (queue.remove(r)) {
                gauges();
                // The oldest request may have changed, or the queue emptied: let waiters recompute.
                changed.signalAll();
                room.signalAll();
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
    Batch<T> next(Batch<T> finished) throws InterruptedException {
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
                if (busy == 0 || waited >= maxDelayNanos || queue.nextBatchFull(maxBatchRows, maxBatchCost)) {
                    Batch<T> batch = take(now);
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

    private Batch<T> take(long nowNanos) {
        Batch<T> batch = new Batch<>();
        batch.dispatchNanos = nowNanos;
        queue.takeBatch(maxBatchRows, maxBatchCost, epochMillisClock.getAsLong(), batch.requests, batch.expired);
        if (batch.runs()) {
            busy++;
        }
        gauges();
        room.signalAll();
        if (!queue.isEmpty()) {
            changed.signal(); // another free worker decides about the rest
        }
        return batch.runs() || !batch.expired.isEmpty() ? batch : null;
    }

    /**
     * The watchdog gave up on a running batch: its worker no longer counts as busy (a replacement takes its place),
     * but as stuck until its call returns.
     *
     * @return how many calls are stuck now
     */
    int abandoned() {
        lock.lock();
        try {
            busy--;
            stuck++;
            gauges();
            changed.signalAll(); // with one fewer busy, a waiting worker may dispatch at once
            return stuck;
        } finally {
            lock.unlock();
        }
    }

    /** A call the watchdog gave up on has returned; its worker thread ends. */
    void stuckCallReturned() {
        lock.lock();
        try {
            stuck--;
            gauges();
        } finally {
            lock.unlock();
        }
    }

    private void gauges() {
        queuedGauge = queue.size();
        queuedWorkGauge = queue.work();
        busyGauge = busy;
        stuckGauge = stuck;
    }

    /** Wakes every waiting worker to exit and every waiting submitter; queued futures stay incomplete. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
            room.signalAll();
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

    public long queuedWork() {
        return queuedWorkGauge;
    }

    public int busy() {
        return busyGauge;
    }

    public int stuck() {
        return stuckGauge;
    }
}
