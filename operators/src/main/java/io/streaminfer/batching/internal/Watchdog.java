package io.streaminfer.batching.internal;

import io.streaminfer.batching.BatcherListener;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives up on model calls that run past their time budget. A stuck call cannot be stopped (it may sit in native code),
 * so the watchdog fails every request of its batch that has no outcome yet with {@code MODEL_ERROR}, naming itself,
 * and has a new worker take the stuck one's place, so the replica goes on serving. The stuck thread ends when (if)
 * its call returns; its results are dropped.
 */
final class Watchdog {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

    /** What happens when a call is given up on; the replacement worker is started by the batcher. */
    interface Replacement {
        /** @param stuckCalls calls given up on that have not returned, this one included */
        void workerLost(int stuckCalls);
    }

    private final String name;
    private final ScheduledThreadPoolExecutor timer;
    private final CallTimes times;
    private final Dispatcher<?> dispatcher;
    private final BatcherListener listener;
    private final Replacement replacement;

    Watchdog(String name, CallTimes times, Dispatcher<?> dispatcher, BatcherListener listener,
            Replacement replacement) {
        this.name = name;
        this.times = times;
        this.dispatcher = dispatcher;
        this.listener = listener;
        this.replacement = replacement;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name + "-watchdog");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true); // a cancelled alarm per call must not pile up
    }

    /** Arms the alarm of one call of {@code batch}; the caller cancels it when the call returns. */
    ScheduledFuture<?> watch(Batch<?> batch, long cost, int requests, int rows) {
        long budget = times.budgetNanos(cost);
        return timer.schedule(() -> fire(batch, budget, cost, requests, rows), budget, TimeUnit.NANOSECONDS);
    }

    private void fire(Batch<?> batch, long budgetNanos, long cost, int requests, int rows) {
        if (!batch.abandon()) {
            return; // the worker finished first
        }
        String message = "watchdog: the model call of " + requests + " request(s) (" + rows + " rows, cost " + cost
                + ") did not return within its budget of " + budgetNanos / 1_000_000 + " ms; the replica goes on "
                + "without it";
        // Bookkeeping and the replacement first, so that whoever sees a failed request also sees the replica's new
        // state (and a request submitted next finds a worker).
        int stuck = dispatcher.abandoned();
        replacement.workerLost(stuck);
        LOG.error("Batcher {}: {}; failing request(s) {}; {} call(s) stuck now", name, message,
                RequestIds.of(batch.requests), stuck);
        int open = 0;
        for (QueuedRequest<?> r : batch.requests) {
            if (!r.abandoned()) {
                open++;
            }
        }
        listener.onWatchdog(open, budgetNanos);
        Prediction failure = Prediction.failure(ErrorCode.MODEL_ERROR, message);
        for (QueuedRequest<?> r : batch.requests) {
            r.complete(failure);
        }
    }

    void close() {
        timer.shutdownNow();
    }
}
