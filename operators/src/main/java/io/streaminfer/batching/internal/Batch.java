package io.streaminfer.batching.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one worker took from the queue at once: requests to run, and requests whose deadline passed. Its state decides,
 * once, whether the worker finished it or the watchdog gave up on it: whichever gets there first.
 */
final class Batch<T> {
    private static final int RUNNING = 0;
    private static final int FINISHED = 1;
    private static final int ABANDONED = 2;

    final List<QueuedRequest<T>> requests = new ArrayList<>();
    final List<QueuedRequest<T>> expired = new ArrayList<>(0);
    long dispatchNanos; // when it left the queue, on the batcher's nano clock
    private final AtomicInteger state = new AtomicInteger(RUNNING);

    /** Whether a worker runs the model for it, i.e. counts as busy until it is done. */
    boolean runs() {
        return !requests.isEmpty();
    }

    /** The worker is done with it; false when the watchdog gave up on it first. */
    boolean finish() {
        return state.compareAndSet(RUNNING, FINISHED);
    }

    /** The watchdog gives up on it; false when the worker finished it first. */
    boolean abandon() {
        return state.compareAndSet(RUNNING, ABANDONED);
    }

    boolean abandoned() {
        return state.get() == ABANDONED;
    }
}
