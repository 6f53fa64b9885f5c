package io.streaminfer.batching;

import io.streaminfer.runtime.Prediction;
import java.util.concurrent.CompletableFuture;

/**
 * The future of a submitted item: completes with its {@link Prediction}, failures included. Cancelling it takes a
 * still-queued item out of the queue at once, so an item its caller gave up on neither runs nor holds its place.
 * Once complete, it tells how long the item waited in the queue and how long its model calls took.
 */
public final class Submitted extends CompletableFuture<Prediction> {
    private final Runnable onCancel;
    private volatile long queueNanos = -1;
    private volatile long modelNanos = -1;
    private volatile int batchRequests;

    /** For the batcher. */
    public Submitted(Runnable onCancel) {
        this.onCancel = onCancel;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            onCancel.run();
        }
        return cancelled;
    }

    /** How long it waited in the queue before it ran, or expired; -1 when it never left the queue. */
    public long queueNanos() {
        return queueNanos;
    }

    /** How long the model calls it was part of took (re-runs included); -1 when it never ran. */
    public long modelNanos() {
        return modelNanos;
    }

    /** How many requests the last model call it was part of ran (itself included); 0 when it never ran. */
    public int batchRequests() {
        return batchRequests;
    }

    /** For the batcher: set before completion. */
    public void leftQueue(long nanos) {
        queueNanos = nanos;
    }

    /** For the batcher: set before completion, once per call it was part of (on that call's worker thread). */
    public void ran(long nanos) {
        modelNanos = modelNanos < 0 ? nanos : modelNanos + nanos;
    }

    /** For the batcher: {@link #ran(long)}, and how many requests that call ran. */
    public void ran(long nanos, int requests) {
        ran(nanos);
        batchRequests = requests;
    }
}
