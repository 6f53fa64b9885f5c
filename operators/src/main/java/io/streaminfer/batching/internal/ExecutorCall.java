package io.streaminfer.batching.internal;

import io.streaminfer.batching.BatchExecutor;
import io.streaminfer.batching.BatcherListener;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.runtime.Prediction;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guarded call of the executor: whatever it throws or returns, the answer is one prediction per request. A throw,
 * or a result of the wrong length, fails every request of the call with {@code MODEL_ERROR}.
 */
final class ExecutorCall {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorCall.class);

    private final String name;
    private final BatchExecutor executor;
    private final BatcherListener listener;
    private final LongSupplier nanoClock;
    private final BooleanSupplier closed;

    ExecutorCall(String name, BatchExecutor executor, BatcherListener listener, LongSupplier nanoClock,
            BooleanSupplier closed) {
        this.name = name;
        this.executor = executor;
        this.listener = listener;
        this.nanoClock = nanoClock;
        this.closed = closed;
    }

    /**
     * Runs {@code requests}; returns null when the call failed while the batcher was closing, since such a failure
     * (likely the interrupt of close) says nothing about the requests and must not reach their callers.
     *
     * @param isolating whether this re-runs part of a failed batch: its failures are expected and logged at debug;
     *     the first failure and the culprit found are logged as warnings
     */
    List<Prediction> run(List<QueuedRequest> requests, boolean isolating) {
        int n = requests.size();
        List<InferenceRequest> batch = new ArrayList<>(n);
        int rows = 0;
        for (QueuedRequest r : requests) {
            batch.add(r.request);
            rows += r.rows;
        }
        long start = nanoClock.getAsLong();
        List<Prediction> out;
        try {
            out = executor.run(Collections.unmodifiableList(batch));
        } catch (Throwable t) { // anything, so that the worker lives on (e.g. StackOverflowError in a model)
            listener.onBatch(n, rows, nanoClock.getAsLong() - start);
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
        listener.onBatch(n, rows, nanoClock.getAsLong() - start);
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
                        requests.get(i).request.id());
                fixed.set(i, Prediction.failure(ErrorCode.MODEL_ERROR,
                        "the executor returned no prediction for this request"));
            }
        }
        return fixed != null ? fixed : out;
    }

    private static List<Prediction> failAll(int n, String message) {
        return Collections.nCopies(n, Prediction.failure(ErrorCode.MODEL_ERROR, message));
    }

    private static String messageOf(Throwable t) {
        String m = t.getMessage();
        return "model call failed: " + (m == null || m.isBlank() ? t.getClass().getName() : m);
    }
}
