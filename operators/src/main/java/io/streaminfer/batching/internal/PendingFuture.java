package io.streaminfer.batching.internal;

import io.streaminfer.runtime.Prediction;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The future a caller gets for a queued request. Cancelling it takes the request out of the queue at once, so a
 * request the caller gave up on (e.g. Flink's async timeout) neither runs nor holds its place.
 */
public final class PendingFuture extends CompletableFuture<Prediction> {
    private final QueuedRequest owner;
    private final Consumer<QueuedRequest> onCancel;

    PendingFuture(QueuedRequest owner, Consumer<QueuedRequest> onCancel) {
        this.owner = owner;
        this.onCancel = onCancel;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            onCancel.accept(owner);
        }
        return cancelled;
    }
}
