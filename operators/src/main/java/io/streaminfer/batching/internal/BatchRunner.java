package io.streaminfer.batching.internal;

import io.streaminfer.batching.BatchExecutor;
import io.streaminfer.batching.BatcherListener;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a batch and completes its futures, each as soon as its outcome is known.
 *
 * <p>Culprit isolation: when two or more requests of a call fail with {@code MODEL_ERROR}, the failure may belong to
 * the batch (one poisonous input makes the whole forward pass throw), so those requests are re-run in halves,
 * recursively, until each failure is either gone or proven on a single request. Other error codes are decided per
 * request and final at once. Bisecting costs about 2·k·log(n) extra calls for k culprits in n requests. It stops as
 * soon as the watchdog gives up on the batch.
 */
final class BatchRunner<T> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    private final String name;
    private final ExecutorCall<T> call;
    private final BatcherListener listener;
    private final BooleanSupplier closed;

    BatchRunner(String name, BatchExecutor<T> executor, BatcherListener listener, LongSupplier nanoClock,
            BooleanSupplier closed, CallTimes times, Watchdog watchdog) {
        this.name = name;
        this.call = new ExecutorCall<>(name, executor, listener, nanoClock, closed, times, watchdog);
        this.listener = listener;
        this.closed = closed;
    }

    void run(Batch<T> batch) {
        List<Prediction> out = call.run(batch, batch.requests, false);
        if (out != null) {
            settle(batch, batch.requests, out, false);
        }
    }

    private void settle(Batch<T> batch, List<QueuedRequest<T>> ran, List<Prediction> out, boolean isolating) {
        List<QueuedRequest<T>> modelErrors = null;
        List<Prediction> modelErrorPredictions = null;
        for (int i = 0; i < ran.size(); i++) {
            Prediction p = out.get(i);
            if (p.errorCode() == ErrorCode.MODEL_ERROR) {
                if (modelErrors == null) {
                    modelErrors = new ArrayList<>();
                    modelErrorPredictions = new ArrayList<>();
                }
                modelErrors.add(ran.get(i));
                modelErrorPredictions.add(p);
            } else {
                ran.get(i).complete(p);
            }
        }
        if (modelErrors == null) {
            return;
        }
        if (closed.getAsBoolean()) {
            return; // the failure may be close's interrupt; after a restore the caller re-submits these
        }
        if (modelErrors.size() == 1) {
            QueuedRequest<T> culprit = modelErrors.get(0);
            if (isolating) {
                LOG.warn("Batcher {}: request {} fails alone with MODEL_ERROR: {}", name, culprit.id,
                        modelErrorPredictions.get(0).error());
            }
            culprit.complete(modelErrorPredictions.get(0));
            return;
        }
        int half = modelErrors.size() / 2;
        rerun(batch, modelErrors.subList(0, half));
        rerun(batch, modelErrors.subList(half, modelErrors.size()));
    }

    private void rerun(Batch<T> batch, List<QueuedRequest<T>> part) {
        List<QueuedRequest<T>> live = new ArrayList<>(part.size());
        for (QueuedRequest<T> r : part) {
            if (!r.abandoned()) { // the caller gave up meanwhile: nothing to learn from it
                live.add(r);
            }
        }
        if (live.isEmpty() || closed.getAsBoolean() || batch.abandoned()) {
            return;
        }
        listener.onIsolationRetry(live.size());
        List<Prediction> out = call.run(batch, live, true);
        if (out != null) {
            settle(batch, live, out, true);
        }
    }
}
