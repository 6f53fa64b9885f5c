package io.streaminfer.batching;

import java.util.List;

/**
 * Hooks for metrics; every method defaults to doing nothing. Called on the batcher's threads, outside its lock, so
 * implementations must be thread-safe and cheap. What they throw is logged and otherwise ignored.
 */
public interface BatcherListener {
    /** A listener that records nothing. */
    BatcherListener NO_OP = new BatcherListener() {
    };

    /**
     * After every call of the executor, isolation re-runs included.
     *
     * @param requests the requests in the call
     * @param rows the rows they add up to
     * @param cost the call's padded cost: rows times the largest row cost (see {@link Work})
     * @param modelNanos how long the executor took
     */
    default void onBatch(int requests, int rows, long cost, long modelNanos) {
    }

    /**
     * Whether {@link #onCall} wants each call's request IDs (e.g. to trace a model call with links to its requests);
     * false, the default: no list of IDs is made.
     */
    default boolean wantsCalls() {
        return false;
    }

    /**
     * After every call of the executor, isolation re-runs included, when {@link #wantsCalls()}.
     *
     * @param requestIds the IDs the requests were submitted with, in the call's order
     * @param modelNanos how long the executor took; the call ended just now
     * @param failed whether the executor threw (its requests failed together)
     */
    default void onCall(List<String> requestIds, int rows, long cost, long modelNanos, boolean failed) {
    }

    /** Once per request as it leaves the queue (to run, or because its deadline passed). */
    default void onQueueWait(long nanos) {
    }

    /** Before each re-run of requests from a failed batch while the batcher looks for the one that broke it. */
    default void onIsolationRetry(int requestsRerun) {
    }

    /** Once per request dropped because its deadline passed before it could run. */
    default void onExpired() {
    }

    /**
     * The watchdog gave up on a model call that ran past its time budget: its requests failed and a new worker took
     * the stuck one's place.
     *
     * @param requests the requests that failed with it
     * @param budgetNanos the budget the call ran past
     */
    default void onWatchdog(int requests, long budgetNanos) {
    }
}
