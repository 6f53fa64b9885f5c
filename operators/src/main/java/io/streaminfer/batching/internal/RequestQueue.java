package io.streaminfer.batching.internal;

import java.util.List;
import java.util.TreeSet;

/**
 * Queued requests in (priority, arrival) order, split by cost bucket (one bucket when bucketing is off). Not
 * thread-safe: the {@link Dispatcher} guards it.
 *
 * <p>Adding, removing (cancel) and taking are O(log n); the head is the least of at most 32 bucket heads; the rows
 * queued per bucket are kept as a sum, so "can the next batch be full?" costs no scan.
 */
final class RequestQueue {
    @SuppressWarnings({"unchecked", "rawtypes"}) // generic arrays cannot be created directly
    private final TreeSet<QueuedRequest>[] buckets = new TreeSet[CostBuckets.COUNT];
    private final long[] bucketRows = new long[CostBuckets.COUNT];
    private long nonEmptyBuckets; // bit b set: buckets[b] holds something
    private QueuedRequest oldest;
    private QueuedRequest newest;
    private int size;
    private long nextSeq;

    void add(QueuedRequest r, long nowNanos) {
        r.seq = nextSeq++;
        r.enqueuedNanos = nowNanos;
        r.queued = true;
        TreeSet<QueuedRequest> bucket = buckets[r.bucket];
        if (bucket == null) {
            bucket = new TreeSet<>(QueuedRequest::compare);
            buckets[r.bucket] = bucket;
        }
        bucket.add(r);
        bucketRows[r.bucket] += r.rows;
        nonEmptyBuckets |= 1L << r.bucket;
        r.older = newest;
        if (newest == null) {
            oldest = r;
        } else {
            newest.newer = r;
        }
        newest = r;
        size++;
    }

    /** Takes {@code r} out; false if it was not queued (already taken or removed). */
    boolean remove(QueuedRequest r) {
        if (!r.queued) {
            return false;
        }
        r.queued = false;
        TreeSet<QueuedRequest> bucket = buckets[r.bucket];
        bucket.remove(r);
        bucketRows[r.bucket] -= r.rows;
        if (bucket.isEmpty()) {
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
        return true;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** When the longest-waiting request arrived; only when not empty. */
    long oldestEnqueuedNanos() {
        return oldest.enqueuedNanos;
    }

    /**
     * Whether the next batch cannot grow any more: its bucket holds at least {@code maxRows} rows, so taking in order
     * either reaches the limit or stops at a request that does not fit.
     */
    boolean nextBatchFull(int maxRows) {
        QueuedRequest head = head();
        return head != null && bucketRows[head.bucket] >= maxRows;
    }

    /**
     * Takes the next batch: the head request, then the following ones of its bucket in order, until the rows reach
     * {@code maxRows} or the next request would exceed it (a head larger than the limit goes alone). It stops rather
     * than skipping a request that does not fit, so a large request is never overtaken forever. Requests whose
     * deadline has passed go to {@code expired}; ones the caller gave up on are dropped.
     */
    void takeBatch(int maxRows, long nowEpochMs, List<QueuedRequest> batch, List<QueuedRequest> expired) {
        QueuedRequest head = head();
        // Clear dead heads first, so that a live request picks the bucket.
        while (head != null && !runnable(head, nowEpochMs, expired)) {
            head = head();
        }
        if (head == null) {
            return;
        }
        TreeSet<QueuedRequest> bucket = buckets[head.bucket];
        long rows = 0;
        while (rows < maxRows && !bucket.isEmpty()) {
            QueuedRequest r = bucket.first();
            if (!runnable(r, nowEpochMs, expired)) {
                continue;
            }
            if (!batch.isEmpty() && rows + r.rows > maxRows) {
                break;
            }
            remove(r);
            batch.add(r);
            rows += r.rows;
        }
    }

    /** False (and takes it out) when {@code r} must not run: abandoned by its caller or past its deadline. */
    private boolean runnable(QueuedRequest r, long nowEpochMs, List<QueuedRequest> expired) {
        if (r.abandoned()) {
            remove(r);
            return false;
        }
        if (nowEpochMs >= r.deadlineEpochMs) {
            remove(r);
            expired.add(r);
            return false;
        }
        return true;
    }

    /** The first request in (priority, arrival) order over all buckets. */
    private QueuedRequest head() {
        QueuedRequest best = null;
        for (long m = nonEmptyBuckets; m != 0; m &= m - 1) {
            QueuedRequest first = buckets[Long.numberOfTrailingZeros(m)].first();
            if (best == null || QueuedRequest.compare(first, best) < 0) {
                best = first;
            }
        }
        return best;
    }
}
