package io.streaminfer.flink.sql.internal;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.runtime.Prediction;
import java.util.concurrent.CompletableFuture;

/**
 * Where one subtask's rows are predicted, batched: the model repository's model in this JVM, or a remote OIP server.
 * The future always completes with a {@link Prediction} (failures included); cancelling it takes a still-queued row
 * out of the queue.
 */
public interface RowBackend extends AutoCloseable {
    /**
     * Queues a one-row request; blocks (on the task thread) while the batcher's queue holds its bound of work.
     *
     * @param deadlineEpochMs when the row stops waiting: a row still queued then fails with DEADLINE_EXCEEDED
     * @throws InterruptedException when the task is cancelled while waiting for room
     */
    CompletableFuture<Prediction> submit(String rowId, InferenceRequest request, long deadlineEpochMs)
            throws InterruptedException;

    /** Why this backend cannot go on (e.g. too many stuck model calls), or null while it can. */
    String failure();

    @Override
    void close();
}
