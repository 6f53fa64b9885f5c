package io.streaminfer.batching.internal;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.runtime.Prediction;
import java.util.function.Consumer;

/**
 * One submitted request and its future. The queue fields are only touched under the dispatcher's lock; the rest is
 * fixed at submit.
 */
public final class QueuedRequest {
    final InferenceRequest request;
    final int rows;
    final int priority;
    final long deadlineEpochMs;
    final int bucket;
    private final PendingFuture future;

    // Set by RequestQueue.add: arrival order breaks priority ties and finds the oldest request for maxDelay.
    long seq;
    long enqueuedNanos;
    boolean queued;
    // An intrusive arrival list: O(1) unlink on cancel and O(1) oldest, without a node per request.
    QueuedRequest older;
    QueuedRequest newer;

    public QueuedRequest(InferenceRequest request, int rows, int priority, long deadlineEpochMs, int bucket,
            Consumer<QueuedRequest> onCancel) {
        this.request = request;
        this.rows = rows;
        this.priority = priority;
        this.deadlineEpochMs = deadlineEpochMs;
        this.bucket = bucket;
        this.future = new PendingFuture(this, onCancel);
    }

    public PendingFuture future() {
        return future;
    }

    /** Completes the future unless the caller already gave up on it. */
    public boolean complete(Prediction prediction) {
        return future.complete(prediction);
    }

    /** Whether nobody waits for this any longer (cancelled, or completed some other way). */
    boolean abandoned() {
        return future.isDone();
    }

    /** (priority, arrival): lower priority values first. */
    static int compare(QueuedRequest a, QueuedRequest b) {
        if (a.priority != b.priority) {
            return a.priority < b.priority ? -1 : 1;
        }
        return Long.compare(a.seq, b.seq);
    }

    @Override
    public String toString() {
        return "QueuedRequest{" + request.id() + ", rows=" + rows + ", priority=" + priority + "}";
    }
}
