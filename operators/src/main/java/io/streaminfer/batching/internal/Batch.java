package io.streaminfer.batching.internal;

import java.util.ArrayList;
import java.util.List;

/** What one worker took from the queue at once: requests to run, and requests whose deadline passed. */
final class Batch {
    final List<QueuedRequest> requests = new ArrayList<>();
    final List<QueuedRequest> expired = new ArrayList<>(0);
    long dispatchNanos; // when it left the queue, on the batcher's nano clock

    /** Whether a worker runs the model for it, i.e. counts as busy until it is done. */
    boolean runs() {
        return !requests.isEmpty();
    }
}
