package io.streaminfer.batching.internal;

import io.streaminfer.batching.BatchExecutor;
import io.streaminfer.batching.BatcherListener;
import io.streaminfer.batching.BatchingConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batcher's threads: {@code workers} of them at start, plus one for each call the watchdog gives up on, as long
 * as no more than {@code maxStuckCalls} are stuck; past that the batcher is broken ({@link #failure()}) and starts no
 * more, since a replica whose calls keep hanging needs a new process, not more threads.
 */
public final class Workers<T> {
    private static final Logger LOG = LoggerFactory.getLogger(Workers.class);

    private final BatchingConfig config;
    private final Dispatcher<T> dispatcher;
    private final BatcherListener listener;
    private final BatchRunner<T> runner;
    private final Watchdog watchdog;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger started = new AtomicInteger();
    private volatile String failure;

    public Workers(BatchingConfig config, BatchExecutor<T> executor, Dispatcher<T> dispatcher,
            BatcherListener listener, LongSupplier nanoClock) {
        this.config = config;
        this.dispatcher = dispatcher;
        this.listener = listener;
        CallTimes times = new CallTimes(saturatedNanos(config.watchdogMin()), config.watchdogFactor());
        this.watchdog = config.watchdogMin().isZero() ? null
                : new Watchdog(config.name(), times, dispatcher, listener, this::workerLost);
        this.runner = new BatchRunner<>(config.name(), executor, listener, nanoClock, dispatcher::isClosed, times,
                watchdog);
    }

    public void start() {
        for (int i = 0; i < config.workers(); i++) {
            startOne();
        }
    }

    private void startOne() {
        Thread t = new Thread(new Worker<>(config.name(), dispatcher, runner, listener),
                config.name() + "-batcher-" + started.getAndIncrement());
        t.setDaemon(true); // a batcher someone forgot to close must not keep the JVM alive
        threads.removeIf(old -> !old.isAlive());
        threads.add(t);
        t.start();
    }

    private void workerLost(int stuckCalls) {
        if (dispatcher.isClosed()) {
            return;
        }
        if (stuckCalls > config.maxStuckCalls()) {
            failure = stuckCalls + " model call(s) of " + config.name() + " are stuck past their watchdog budget "
                    + "(more than maxStuckCalls = " + config.maxStuckCalls() + "); the replica needs a restart";
            LOG.error("Batcher {}: {}", config.name(), failure);
            return;
        }
        startOne();
    }

    /** Why the batcher cannot go on, or null while it can. */
    public String failure() {
        return failure;
    }

    /** Interrupts the threads and waits up to {@code closeTimeout} for them to end. */
    public void close() {
        if (watchdog != null) {
            watchdog.close();
        }
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

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
