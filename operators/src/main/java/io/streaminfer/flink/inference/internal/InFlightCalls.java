package io.streaminfer.flink.inference.internal;

import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls of one async subtask that have no answer yet, with one thread of its own that ends those older than the
 * safety-net timeout and runs delayed retries.
 *
 * <p>Why not Flink's own timeout and retry: {@code AsyncWaitOperator} registers a processing-time timer per element
 * (and with retries a delegating handler per element); on a pipeline that costs tens of µs per request that was 5–10 %
 * of the task thread. Here a call costs a queue append and one compare-and-set, and one sweep per period walks what
 * is in flight. Whoever {@link #finish finishes} a call first (its result, or the sweep) is the only one to answer
 * it.
 *
 * <pre>{@code
 * InFlightCalls<MyCall> calls = new InFlightCalls<>("inference-3", 600_000, c -> c.answerTimeout());
 * calls.add(call);
 * // later, on any thread:
 * if (calls.finish(call)) { call.answer(result); }
 * }</pre>
 */
public final class InFlightCalls<C extends InFlightCalls.Call> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InFlightCalls.class);

    /** One call: answered once. */
    public abstract static class Call {
        private final long startNanos = System.nanoTime();
        private final AtomicBoolean finished = new AtomicBoolean();

        /** Whether it has been answered (or given up on) already. */
        public final boolean isFinished() {
            return finished.get();
        }
    }

    private final ConcurrentLinkedQueue<C> calls = new ConcurrentLinkedQueue<>();
    private final AtomicInteger open = new AtomicInteger();
    private final long timeoutNanos;
    private final Consumer<C> onTimeout;
    private final ScheduledExecutorService thread;

    /**
     * @param name names the thread
     * @param timeoutMs a call unanswered this long after {@link #add} is given up on: {@code onTimeout} answers it
     * @param onTimeout runs on this tracker's thread, once per call given up on
     */
    public InFlightCalls(String name, long timeoutMs, Consumer<C> onTimeout) {
        if (timeoutMs < 1) {
            throw new IllegalArgumentException("timeout must be >= 1 ms, got " + timeoutMs);
        }
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        this.onTimeout = onTimeout;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-safety-net");
            t.setDaemon(true);
            return t;
        });
        // A tenth of the timeout late at most, and a sweep a second at most: a few µs per thousand calls in flight.
        long period = Math.max(1, Math.min(1_000, timeoutMs / 10));
        thread.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    public void add(C call) {
        open.incrementAndGet();
        calls.add(call);
    }

    /** True for the one caller that may answer {@code call}; false when it was finished already. */
    public boolean finish(C call) {
        if (((Call) call).finished.compareAndSet(false, true)) {
            open.decrementAndGet();
            return true;
        }
        return false;
    }

    /** Calls added and not finished. */
    public int size() {
        return open.get();
    }

    /** Runs {@code task} on this tracker's thread after {@code delayMs}; false when it is closed and will not. */
    public boolean later(long delayMs, Runnable task) {
        try {
            thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    void sweep() {
        long now = System.nanoTime();
        for (Iterator<C> it = calls.iterator(); it.hasNext(); ) {
            C c = it.next();
            if (c.isFinished()) {
                it.remove();
            } else if (now - ((Call) c).startNanos >= timeoutNanos && finish(c)) {
                it.remove();
                try {
                    onTimeout.accept(c);
                } catch (RuntimeException e) {
                    LOG.error("Answering a call past the safety-net timeout failed", e);
                }
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
