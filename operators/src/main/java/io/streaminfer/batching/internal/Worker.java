package io.streaminfer.batching.internal;

import io.streaminfer.batching.BatcherListener;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One worker thread's loop: take a batch, expire what is late, run the rest, repeat until closed. */
public final class Worker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final String name;
    private final Dispatcher dispatcher;
    private final BatchRunner runner;
    private final BatcherListener listener;

    public Worker(String name, Dispatcher dispatcher, BatchRunner runner, BatcherListener listener) {
        this.name = name;
        this.dispatcher = dispatcher;
        this.runner = runner;
        this.listener = listener;
    }

    @Override
    public void run() {
        Batch batch = null;
        while (true) {
            try {
                batch = dispatcher.next(batch);
            } catch (InterruptedException e) {
                if (dispatcher.isClosed()) {
                    return;
                }
                batch = null; // next() accounted for it before waiting
                continue;     // a stray interrupt: only close() ends a worker
            }
            if (batch == null) {
                return;
            }
            try {
                process(batch);
            } catch (Throwable t) { // a bug of ours; the worker must live on and no future may hang
                LOG.error("Batcher {}: failed to process requests {}", name, RequestIds.of(batch.requests), t);
                if (dispatcher.isClosed()) {
                    continue; // as for any failure while closing: leave them for the re-submit after restore
                }
                Prediction failure = Prediction.failure(ErrorCode.MODEL_ERROR, "batch failed: " + t);
                for (QueuedRequest r : batch.requests) {
                    r.complete(failure);
                }
            }
        }
    }

    private void process(Batch batch) {
        for (QueuedRequest r : batch.expired) {
            long waitedNanos = batch.dispatchNanos - r.enqueuedNanos;
            listener.onQueueWait(waitedNanos);
            LOG.debug("Batcher {}: request {} expired in the queue", name, r.request.id());
            r.complete(Prediction.failure(ErrorCode.DEADLINE_EXCEEDED, "deadline passed after waiting "
                    + waitedNanos / 1_000_000 + " ms in the queue; the model was not run"));
            listener.onExpired();
        }
        if (batch.requests.isEmpty()) {
            return;
        }
        for (QueuedRequest r : batch.requests) {
            listener.onQueueWait(batch.dispatchNanos - r.enqueuedNanos);
        }
        runner.run(batch.requests);
    }
}
