package io.streaminfer.batching;

import io.streaminfer.batching.internal.BatchRunner;
import io.streaminfer.batching.internal.CostBuckets;
import io.streaminfer.batching.internal.Dispatcher;
import io.streaminfer.batching.internal.QueuedRequest;
import io.streaminfer.batching.internal.SafeListener;
import io.streaminfer.batching.internal.Worker;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.runtime.Prediction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups requests submitted one by one into batches for a {@link BatchExecutor}, on {@link BatchingConfig#workers()}
 * threads of its own. Knows nothing of Flink or HTTP: an async operator submits from {@code asyncInvoke} and completes
 * its result when the returned future completes.
 *
 * <p>When a batch closes: when its rows reach {@code maxBatchRows}; when the oldest queued request has waited
 * {@code maxDelay}; or at once when no worker is running a batch, so a lone request at low load never waits out the
 * delay. A free worker waits to fill a batch only while another worker is busy; with one worker this is greedy
 * batching (what queued during a call forms the next batch). Batches take requests in (priority, arrival) order; with
 * bucketing, only requests of the head request's cost bucket. Requests whose deadline passed are failed without
 * running. When several requests of a call fail with {@code MODEL_ERROR}, they are re-run in halves to find the one
 * that broke the batch.
 *
 * <pre>{@code
 * MicroBatcher batcher = new MicroBatcher(config, replica::predictBatch, replica::costOf, listener,
 *         System::nanoTime, System::currentTimeMillis);
 * batcher.submit(request, (int) request.rows(), 0, Long.MAX_VALUE)
 *         .thenAccept(prediction -> ...);   // always a Prediction, failures included
 * }</pre>
 */
public final class MicroBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcher.class);

    private final BatchingConfig config;
    private final ToIntFunction<InferenceRequest> cost;
    private final Dispatcher dispatcher;
    private final List<Thread> threads;

    /**
     * @param cost the token length of a request's longest row; only asked when bucketing is on
     * @param nanoClock monotonic time for queue waits and {@code maxDelay} (e.g. {@code System::nanoTime})
     * @param epochMillisClock wall time for deadlines (e.g. {@code System::currentTimeMillis})
     */
    public MicroBatcher(BatchingConfig config, BatchExecutor executor, ToIntFunction<InferenceRequest> cost,
            BatcherListener listener, LongSupplier nanoClock, LongSupplier epochMillisClock) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(executor, "executor");
        this.cost = Objects.requireNonNull(cost, "cost");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(epochMillisClock, "epochMillisClock");
        BatcherListener safeListener = new SafeListener(listener, config.name());
        this.dispatcher = new Dispatcher(config.maxBatchRows(), saturatedNanos(config.maxDelay()), nanoClock,
                epochMillisClock);
        BatchRunner runner = new BatchRunner(config.name(), executor, safeListener, nanoClock, dispatcher::isClosed);
        List<Thread> started = new ArrayList<>(config.workers());
        for (int i = 0; i < config.workers(); i++) {
            Thread t = new Thread(new Worker(config.name(), dispatcher, runner, safeListener),
                    config.name() + "-batcher-" + i);
            t.setDaemon(true); // a batcher someone forgot to close must not keep the JVM alive
            started.add(t);
        }
        this.threads = Collections.unmodifiableList(started);
        threads.forEach(Thread::start);
    }

    /** System clocks, no listener, every request of cost 1. */
    public MicroBatcher(BatchingConfig config, BatchExecutor executor) {
        this(config, executor, r -> 1, BatcherListener.NO_OP, System::nanoTime, System::currentTimeMillis);
    }

    /**
     * Queues a request. The future completes normally with a {@link Prediction}, failures included, unless the caller
     * cancels it; cancelling takes a still-queued request out of the queue, so it never runs.
     *
     * @param rows the rows it adds to a batch (values below 1 count as 1: it still takes a place in the batch)
     * @param priority lower runs first; ties in arrival order
     * @param deadlineEpochMs when its caller stops waiting; {@link Long#MAX_VALUE} for never
     */
    public CompletableFuture<Prediction> submit(InferenceRequest request, int rows, int priority,
            long deadlineEpochMs) {
        Objects.requireNonNull(request, "request");
        int bucket = config.bucketing() ? CostBuckets.of(costOf(request)) : 0;
        QueuedRequest queued = new QueuedRequest(request, Math.max(1, rows), priority, deadlineEpochMs, bucket,
                dispatcher::cancelled);
        if (!dispatcher.offer(queued)) {
            queued.complete(Prediction.failure(ErrorCode.INTERNAL, "batcher closed"));
        }
        return queued.future();
    }

    /** Requests waiting in the queue (a gauge). */
    public int queuedRequests() {
        return dispatcher.queued();
    }

    /** Workers running a batch right now (a gauge). */
    public int busyWorkers() {
        return dispatcher.busy();
    }

    public BatchingConfig config() {
        return config;
    }

    /**
     * Stops the workers: interrupts them and waits up to {@link BatchingConfig#closeTimeout()} for them to end. Leaves
     * queued futures incomplete on purpose: after a Flink failover the async operator re-submits its in-flight
     * requests, so an outcome made up here would be a false one. Later submits fail with {@code INTERNAL}.
     */
    @Override
    public void close() {
        dispatcher.close();
        threads.forEach(Thread::interrupt); // a model call may be blocked, e.g. waiting for a predictor
        long deadline = System.nanoTime() + saturatedNanos(config.closeTimeout());
        for (Thread t : threads) {
            if (t == Thread.currentThread()) {
                continue;
            }
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    t.join(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (t.isAlive()) {
                LOG.warn("Batcher {}: worker {} did not stop within {}; it is still in a model call",
                        config.name(), t.getName(), config.closeTimeout());
            }
        }
    }

    private int costOf(InferenceRequest request) {
        try {
            return cost.applyAsInt(request);
        } catch (RuntimeException e) {
            // Only grouping suffers from a wrong cost, so the request still runs, in the smallest bucket.
            LOG.warn("Batcher {}: cost of request {} failed; batching it as cost 1", config.name(), request.id(), e);
            return 1;
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return "MicroBatcher{" + config + ", queued=" + queuedRequests() + ", busy=" + busyWorkers() + "}";
    }
}
