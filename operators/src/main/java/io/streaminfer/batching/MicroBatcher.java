package io.streaminfer.batching;

import io.streaminfer.batching.internal.Dispatcher;
import io.streaminfer.batching.internal.LengthBuckets;
import io.streaminfer.batching.internal.QueuedRequest;
import io.streaminfer.batching.internal.SafeListener;
import io.streaminfer.batching.internal.Workers;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Groups items submitted one by one into batches for a {@link BatchExecutor}, on {@link BatchingConfig#workers()}
 * threads of its own. Knows nothing of Flink or HTTP: an async operator submits from {@code asyncInvoke} and completes
 * its result when the returned future completes.
 *
 * <p>When a batch closes: when its rows reach {@code maxBatchRows} or its cost {@code maxBatchCost} (rows times the
 * largest row cost: a text model's padded tokens, see {@link Work}); when the oldest queued request has waited
 * {@code maxDelay}; or at once when no worker is running a batch, so a lone request at low load never waits out the
 * delay. A free worker waits to fill a batch only while another worker is busy; with one worker this is greedy
 * batching. The oldest request (in priority order) leads each batch, with grouping followed by requests of about its
 * length only. Requests whose deadline passed are failed without running; a request without a deadline never fails
 * for waiting. When several requests of a call fail with {@code MODEL_ERROR}, they are re-run in halves to find the
 * one that broke the batch. A watchdog gives up on calls that run far past what calls of their cost take.
 *
 * <p>The queue holds a bounded amount of work ({@link BatchingConfig#maxQueuedWork()}): {@link #awaitRoom} blocks the
 * submitter beyond it, so a backlog stays where it belongs (in Kafka, say) instead of turning into queue time.
 *
 * <pre>{@code
 * MicroBatcher<PreparedRequest> batcher = new MicroBatcher<>(config, batch -> replica.predictPrepared(batch, 1024),
 *         listener, System::nanoTime, System::currentTimeMillis);
 * batcher.awaitRoom(prepared.work());
 * batcher.submit(id, prepared, prepared.work(), 0, Long.MAX_VALUE)
 *         .thenAccept(prediction -> ...);   // always a Prediction, failures included
 * }</pre>
 *
 * @param <T> what is batched
 */
public final class MicroBatcher<T> implements AutoCloseable {
    private final BatchingConfig config;
    private final Dispatcher<T> dispatcher;
    private final Workers<T> workers;

    /**
     * @param nanoClock monotonic time for queue waits and {@code maxDelay} (e.g. {@code System::nanoTime})
     * @param epochMillisClock wall time for deadlines (e.g. {@code System::currentTimeMillis})
     */
    public MicroBatcher(BatchingConfig config, BatchExecutor<T> executor, BatcherListener listener,
            LongSupplier nanoClock, LongSupplier epochMillisClock) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(epochMillisClock, "epochMillisClock");
        BatcherListener safeListener = new SafeListener(listener, config.name());
        this.dispatcher = new Dispatcher<>(config.maxBatchRows(), config.maxBatchCost(),
                saturatedNanos(config.maxDelay()), config.maxQueuedWork(), nanoClock, epochMillisClock);
        this.workers = new Workers<>(config, executor, dispatcher, safeListener, nanoClock);
        workers.start();
    }

    /** System clocks, no listener. */
    public MicroBatcher(BatchingConfig config, BatchExecutor<T> executor) {
        this(config, executor, BatcherListener.NO_OP, System::nanoTime, System::currentTimeMillis);
    }

    /**
     * Blocks while the queue already holds its bound of work and {@code work} would pass it; returns at once when
     * the queue is empty, so a request larger than the bound still gets in alone, and once closed.
     *
     * @throws InterruptedException when interrupted while waiting (e.g. the task is cancelled)
     */
    public void awaitRoom(Work work) throws InterruptedException {
        dispatcher.awaitRoom(dispatcher.workOf(work));
    }

    /**
     * Queues an item. The future completes normally with a {@link Prediction}, failures included, unless the caller
     * cancels it; cancelling takes a still-queued item out of the queue, so it never runs. Never blocks: callers
     * bound the queue with {@link #awaitRoom} first.
     *
     * @param id names the item in log lines
     * @param work what it costs a batch
     * @param priority lower runs first; ties in arrival order
     * @param deadlineEpochMs when its caller stops waiting; {@link Long#MAX_VALUE} for never
     */
    public Submitted submit(String id, T item, Work work, int priority, long deadlineEpochMs) {
        Objects.requireNonNull(work, "work");
        int bucket = config.grouping() ? LengthBuckets.of(work.maxRowCost()) : 0;
        QueuedRequest<T> queued = new QueuedRequest<>(id, item, work, priority, deadlineEpochMs, bucket,
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

    /** Work waiting in the queue, in the unit {@link BatchingConfig#maxQueuedWork()} counts (a gauge). */
    public long queuedWork() {
        return dispatcher.queuedWork();
    }

    /** Workers running a batch right now (a gauge). */
    public int busyWorkers() {
        return dispatcher.busy();
    }

    /** Model calls the watchdog gave up on that have not returned (a gauge). */
    public int stuckCalls() {
        return dispatcher.stuck();
    }

    /** Why this batcher cannot go on (too many stuck calls), or null while it can. */
    public String failure() {
        return workers.failure();
    }

    public BatchingConfig config() {
        return config;
    }

    /**
     * Stops the workers: interrupts them and waits up to {@link BatchingConfig#closeTimeout()} for them to end. Leaves
     * queued futures incomplete on purpose: after a Flink failover the async operator re-submits its in-flight
     * requests, so an outcome made up here would be a false one. Later submits fail with {@code INTERNAL}; waiters in
     * {@link #awaitRoom} return.
     */
    @Override
    public void close() {
        dispatcher.close();
        workers.close();
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
