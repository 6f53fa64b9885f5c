package io.streaminfer.batching.internal;

import io.streaminfer.batching.Work;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * Queued requests in (priority, arrival) order, split by length group (one group when grouping is off). Not
 * thread-safe: the {@link Dispatcher} guards it.
 *
 * <p>Adding and removing (cancel) are O(log n); the head is the least of at most 64 group heads; the rows and cost
 * queued per group, and the work queued in all, are kept as sums, so neither "can the next batch be full?" nor
 * "is there room?" costs a scan.
 */
final class RequestQueue<T> {
    /** A batch looks at most this many requests of its group that do not fit before it closes. */
    private static final int MISFITS_BEFORE_CLOSING = 8;

    @SuppressWarnings({"unchecked", "rawtypes"}) // generic arrays cannot be created directly
    private final TreeSet<QueuedRequest<T>>[] buckets = new TreeSet[LengthBuckets.COUNT];
    private final long[] bucketRows = new long[LengthBuckets.COUNT];
    private final long[] bucketCost = new long[LengthBuckets.COUNT];
    private final boolean costBounded;
    private long nonEmptyBuckets; // bit b set: buckets[b] holds something
    private QueuedRequest<T> oldest;
    private QueuedRequest<T> newest;
    private int size;
    private long work;
    private long nextSeq;

    /** @param costBounded whether batches are bounded by cost (queued work then counts cost, else rows) */
    RequestQueue(boolean costBounded) {
        this.costBounded = costBounded;
    }

    /** What a request adds to the queued work: its padded cost when batches are bounded by cost, else its rows. */
    long workOf(Work w) {
        return costBounded ? w.paddedCost() : w.rows();
    }

    void add(QueuedRequest<T> r, long nowNanos) {
        r.seq = nextSeq++;
        r.enqueuedNanos = nowNanos;
        r.queued = true;
        TreeSet<QueuedRequest<T>> bucket = buckets[r.bucket];
        if (bucket == null) {
            bucket = new TreeSet<>(QueuedRequest::compare);
            buckets[r.bucket] = bucket;
        }
        bucket.add(r);
        bucketRows[r.bucket] += r.work.rows();
        bucketCost[r.bucket] += r.work.paddedCost();
        nonEmptyBuckets |= 1L << r.bucket;
        r.older = newest;
        if (newest == null) {
            oldest = r;
        } else {
            newest.newer = r;
        }
        newest = r;
        size++;
        work += workOf(r.work);
    }

    /** Takes {@code r} out; false if it was not queued (already taken or removed). */
    boolean remove(QueuedRequest<T> r) {
        if (!r.queued) {
            return false;
        }
        buckets[r.bucket].remove(r);
        unlink(r);
        return true;
    }

    /** Everything of removing {@code r} but taking it out of its group's set (done by the caller). */
    private void unlink(QueuedRequest<T> r) {
        r.queued = false;
        bucketRows[r.bucket] -= r.work.rows();
        bucketCost[r.bucket] -= r.work.paddedCost();
        if (buckets[r.bucket].isEmpty()) {
            nonEmptyBuckets &= ~(1L << r.bucket);
        }
        if (r.older == null) {
            oldest = r.newer;
        } else {
            r.older.newer = r.newer;
        }
        if (r.newer == null) {
            newest = r.older;
        } else {
            r.newer.older = r.older;
        }
        r.older = null;
        r.newer = null;
        size--;
        work -= workOf(r.work);
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The work queued: padded cost when batches are bounded by cost, else rows. */
    long work() {
        return work;
    }

    /** When the longest-waiting request arrived; only when not empty. */
    long oldestEnqueuedNanos() {
        return oldest.enqueuedNanos;
    }

    /**
     * Whether the next batch cannot grow any more: the head's group holds at least {@code maxRows} rows or (when
     * cost is bounded) {@code maxCost} cost, so taking from it reaches a limit.
     */
    boolean nextBatchFull(int maxRows, long maxCost) {
        QueuedRequest<T> head = head();
        if (head == null) {
            return false;
        }
        return bucketRows[head.bucket] >= maxRows || (maxCost > 0 && bucketCost[head.bucket] >= maxCost);
    }

    /**
     * Takes the next batch: the head request (the first in priority and arrival order of all, so age always
     * counts), then the following ones of its group in order while the batch stays within {@code maxRows} rows and
     * {@code maxCost} (rows × largest row cost; 0: unbounded). A request that does not fit is passed over, as long
     * as fewer than a few have been; it is never starved, since it leads a batch once it is the oldest. A head over a
     * limit runs alone. Requests whose deadline passed go to {@code expired}; ones the caller gave up on are dropped.
     */
    void takeBatch(int maxRows, long maxCost, long nowEpochMs, List<QueuedRequest<T>> batch,
            List<QueuedRequest<T>> expired) {
        QueuedRequest<T> head = head();
        // Clear dead heads first, so that a live request picks the group.
        while (head != null && !runnable(head, nowEpochMs, expired)) {
            remove(head);
            head = head();
        }
        if (head == null) {
            return;
        }
        TreeSet<QueuedRequest<T>> bucket = buckets[head.bucket];
        long rows = 0;
        int largestRow = 0;
        int misfits = 0;
        for (Iterator<QueuedRequest<T>> it = bucket.iterator(); it.hasNext();) {
            QueuedRequest<T> r = it.next();
            if (!runnable(r, nowEpochMs, expired)) {
                it.remove();
                unlink(r);
                continue;
            }
            long newRows = rows + r.work.rows();
            int newLargest = Math.max(largestRow, r.work.maxRowCost());
            boolean fits = newRows <= maxRows && (maxCost <= 0 || newRows * newLargest <= maxCost);
            if (!batch.isEmpty() && !fits) {
                if (++misfits >= MISFITS_BEFORE_CLOSING) {
                    break;
                }
                continue;
            }
            it.remove();
            unlink(r);
            batch.add(r);
            rows = newRows;
            largestRow = newLargest;
            if (rows >= maxRows || (maxCost > 0 && rows * largestRow >= maxCost)) {
                break;
            }
        }
    }

    /** False when {@code r} must not run: abandoned by its caller, or past its deadline (then in {@code expired}). */
    private boolean runnable(QueuedRequest<T> r, long nowEpochMs, List<QueuedRequest<T>> expired) {
        if (r.abandoned()) {
            return false;
        }
        if (nowEpochMs >= r.deadlineEpochMs) {
            expired.add(r);
            return false;
        }
        return true;
    }

    /** The first request in (priority, arrival) order over all groups. */
    private QueuedRequest<T> head() {
        QueuedRequest<T> best = null;
        for (long m = nonEmptyBuckets; m != 0; m &= m - 1) {
            QueuedRequest<T> first = buckets[Long.numberOfTrailingZeros(m)].first();
            if (best == null || QueuedRequest.compare(first, best) < 0) {
                best = first;
            }
        }
        return best;
    }
}
