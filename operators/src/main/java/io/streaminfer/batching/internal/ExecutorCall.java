package io.streaminfer.batching.internal;

import io.streaminfer.batching.BatchExecutor;
import io.streaminfer.batching.BatcherListener;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guarded call of the executor: whatever it throws or returns, the answer is one prediction per request. A throw,
 * or a result of the wrong length, fails every request of the call with {@code MODEL_ERROR}. The watchdog, when on,
 * watches the call.
 */
final class ExecutorCall<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorCall.class);

    private final String name;
    private final BatchExecutor<T> executor;
    private final BatcherListener listener;
    private final LongSupplier nanoClock;
    private final BooleanSupplier closed;
    private final CallTimes times;
    private final Watchdog watchdog; // null: off

    ExecutorCall(String name, BatchExecutor<T> executor, BatcherListener listener, LongSupplier nanoClock,
            BooleanSupplier closed, CallTimes times, Watchdog watchdog) {
        this.name = name;
        this.executor = executor;
        this.listener = listener;
        this.nanoClock = nanoClock;
        this.closed = closed;
        this.times = times;
        this.watchdog = watchdog;
    }

    /**
     * Runs {@code requests} of {@code batch}; returns null when the answer must not reach the callers: the call failed
     * while the batcher was closing (likely close's interrupt, which says nothing about the requests), or the
     * watchdog gave up on it meanwhile (its requests already failed).
     *
     * @param isolating whether this re-runs part of a failed batch: its failures are expected and logged at debug;
     *     the first failure and the culprit found are logged as warnings
     */
    List<Prediction> run(Batch<T> batch, List<QueuedRequest<T>> requests, boolean isolating) {
        int n = requests.size();
        List<T> items = new ArrayList<>(n);
        int rows = 0;
        int largestRow = 1;
        for (QueuedRequest<T> r : requests) {
            items.add(r.item);
            rows += r.work.rows();
            largestRow = Math.max(largestRow, r.work.maxRowCost());
        }
        long cost = (long) rows * largestRow;
        ScheduledFuture<?> alarm = watchdog == null ? null : watchdog.watch(batch, cost, n, rows);
        long start = nanoClock.getAsLong();
        List<Prediction> out;
        try {
            out = executor.run(Collections.unmodifiableList(items));
        } catch (Throwable t) { // anything, so that the worker lives on (e.g. StackOverflowError in a model)
            ended(requests, alarm, rows, cost, start, true);
            if (batch.abandoned()) {
                return null;
            }
            if (closed.getAsBoolean()) {
                LOG.debug("Batcher {}: call for requests {} failed while closing; leaving them open", name,
                        RequestIds.of(requests), t);
                return null;
            }
            if (isolating) {
                LOG.debug("Batcher {}: re-run of request(s) {} failed", name, RequestIds.of(requests), t);
            } else {
                LOG.warn("Batcher {}: model call for {} request(s) {} failed", name, n, RequestIds.of(requests), t);
            }
            return failAll(n, messageOf(t));
        }
        long took = ended(requests, alarm, rows, cost, start, false);
        if (batch.abandoned()) {
            LOG.warn("Batcher {}: a model call the watchdog gave up on returned after {} ms; its results are "
                    + "dropped (requests {})", name, took / 1_000_000, RequestIds.of(requests));
            return null;
        }
        times.observe(cost, took);
        if (out == null || out.size() != n) {
            String message = "the executor returned " + (out == null ? "null" : out.size() + " predictions")
                    + " for " + n + " request(s)";
            LOG.error("Batcher {}: {} {}", name, message, RequestIds.of(requests));
            return failAll(n, message);
        }
        List<Prediction> fixed = null; // copied only when needed: the result may be immutable, or not ours
        for (int i = 0; i < n; i++) {
            if (out.get(i) == null) {
                if (fixed == null) {
                    fixed = new ArrayList<>(out);
                }
                LOG.error("Batcher {}: the executor returned no prediction for request {}", name,
                        requests.get(i).id);
                fixed.set(i, Prediction.failure(ErrorCode.MODEL_ERROR,
                        "the executor returned no prediction for this request"));
            }
        }
        return fixed != null ? fixed : out;
    }

    /** The call returned or threw: the alarm is off, the time is told; returns how long it took. */
    private long ended(List<QueuedRequest<T>> requests, ScheduledFuture<?> alarm, int rows, long cost, long start,
            boolean failed) {
        long took = nanoClock.getAsLong() - start;
        if (alarm != null) {
            alarm.cancel(false);
        }
        listener.onBatch(requests.size(), rows, cost, took);
        if (listener.wantsCalls()) {
            List<String> ids = new ArrayList<>(requests.size());
            for (QueuedRequest<T> r : requests) {
                ids.add(r.id);
            }
            listener.onCall(ids, rows, cost, took, failed);
        }
        for (QueuedRequest<T> r : requests) {
            r.future().ran(took, requests.size());
        }
        return took;
    }

    private static List<Prediction> failAll(int n, String message) {
        return Collections.nCopies(n, Prediction.failure(ErrorCode.MODEL_ERROR, message));
    }

    private static String messageOf(Throwable t) {
        String m = t.getMessage();
        return "model call failed: " + (m == null || m.isBlank() ? t.getClass().getName() : m);
    }
}
