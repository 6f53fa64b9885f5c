package io.streaminfer.batching.internal;

import io.streaminfer.batching.Submitted;
import io.streaminfer.batching.Work;
import io.streaminfer.runtime.Prediction;
import java.util.function.Consumer;

/**
 * One submitted item and its future. The queue fields are only touched under the dispatcher's lock; the rest is fixed
 * at submit.
 */
public final class QueuedRequest<T> {
    final String id;
    final T item;
    final Work work;
    final int priority;
    final long deadlineEpochMs;
    final int bucket;
    private final Submitted future;

    // Set by RequestQueue.add: arrival order breaks priority ties and finds the oldest request for maxDelay.
    long seq;
    long enqueuedNanos;
    boolean queued;
    // An intrusive arrival list: O(1) unlink on cancel and O(1) oldest, without a node per request.
    QueuedRequest<T> older;
    QueuedRequest<T> newer;

    public QueuedRequest(String id, T item, Work work, int priority, long deadlineEpochMs, int bucket,
            Consumer<QueuedRequest<T>> onCancel) {
        this.id = id;
        this.item = item;
        this.work = work;
        this.priority = priority;
        this.deadlineEpochMs = deadlineEpochMs;
        this.bucket = bucket;
        this.future = new Submitted(() -> onCancel.accept(this));
    }

    public Submitted future() {
        return future;
    }

    /** Completes the future unless the caller already gave up on it, or someone else completed it first. */
    public boolean complete(Prediction prediction) {
        return future.complete(prediction);
    }

    /** Whether nobody waits for this any longer (cancelled, or completed some other way). */
    boolean abandoned() {
        return future.isDone();
    }

    /** (priority, arrival): lower priority values first. */
    static int compare(QueuedRequest<?> a, QueuedRequest<?> b) {
        if (a.priority != b.priority) {
            return a.priority < b.priority ? -1 : 1;
        }
        return Long.compare(a.seq, b.seq);
    }

    @Override
    public String toString() {
        return "QueuedRequest{" + id + ", " + work + ", priority=" + priority + "}";
    }
}
