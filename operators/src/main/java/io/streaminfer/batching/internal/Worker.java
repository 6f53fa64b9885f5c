package io.streaminfer.batching.internal;

import io.streaminfer.batching.BatcherListener;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker thread's loop: take a batch, expire what is late, run the rest, repeat until closed. A worker whose batch
 * the watchdog gave up on ends once its call returns: a replacement took its place.
 */
final class Worker<T> implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final String name;
    private final Dispatcher<T> dispatcher;
    private final BatchRunner<T> runner;
    private final BatcherListener listener;

    Worker(String name, Dispatcher<T> dispatcher, BatchRunner<T> runner, BatcherListener listener) {
        this.name = name;
        this.dispatcher = dispatcher;
        this.runner = runner;
        this.listener = listener;
    }

    @Override
    public void run() {
        Batch<T> batch = null;
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
                if (!dispatcher.isClosed()) { // as for any failure while closing: left for the re-submit
                    Prediction failure = Prediction.failure(ErrorCode.MODEL_ERROR, "batch failed: " + t);
                    for (QueuedRequest<T> r : batch.requests) {
                        r.complete(failure);
                    }
                }
            }
            if (!batch.finish()) { // the watchdog gave up on it and started another worker
                dispatcher.stuckCallReturned();
                return;
            }
        }
    }

    private void process(Batch<T> batch) {
        for (QueuedRequest<T> r : batch.expired) {
            long waitedNanos = batch.dispatchNanos - r.enqueuedNanos;
            listener.onQueueWait(waitedNanos);
            r.future().leftQueue(waitedNanos);
            LOG.debug("Batcher {}: request {} expired in the queue", name, r.id);
            r.complete(Prediction.failure(ErrorCode.DEADLINE_EXCEEDED, "deadline passed after waiting "
                    + waitedNanos / 1_000_000 + " ms in the queue; the model was not run"));
            listener.onExpired();
        }
        if (batch.requests.isEmpty()) {
            return;
        }
        for (QueuedRequest<T> r : batch.requests) {
            long waitedNanos = batch.dispatchNanos - r.enqueuedNanos;
            listener.onQueueWait(waitedNanos);
            r.future().leftQueue(waitedNanos);
        }
        runner.run(batch);
    }
}
