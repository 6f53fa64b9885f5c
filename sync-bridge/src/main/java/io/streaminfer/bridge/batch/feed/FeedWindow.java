package io.streaminfer.bridge.batch.feed;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * How many requests of batch lines a replica keeps in flight, adapted to what the job can take without queueing them
 * (a delay-based window, as TCP Vegas judges a path): the lowest latency a line has had is the job's latency with
 * nothing queued; while the median of a round of answers (as many as the window) is within {@code tolerance} times
 * that, the window grows by a tenth, else it shrinks by a fifth (the median, not the mean: on a busy machine a few
 * slow answers would keep the window at its minimum though nothing queues), between {@code min} and {@code max}. So batch lines never
 * pile up in the requests topic or the job's queues, where online requests behind them would wait, and when online
 * traffic takes the model the lines' latency rises and the batch gives way. The lowest latency drifts up 5 % a
 * minute, so it follows a model that became slower. Thread-safe; blocking {@link #acquire} for the feeder's thread.
 *
 * <pre>{@code
 * FeedWindow w = new FeedWindow(2, 256, 2.0, System::nanoTime);
 * if (w.acquire(1, 100)) { send(); ... w.release(1, latencyNanos); }
 * }</pre>
 */
final class FeedWindow {
    static final long DRIFT_PERIOD_NANOS = 60_000_000_000L;

    private final int min;
    private final int max;
    private final double tolerance;
    private final LongSupplier clock;
    private double limit;
    private int inFlight;
    private long base = Long.MAX_VALUE;
    private long lastDrift;
    private int roundCount;
    private long[] round = new long[16];

    FeedWindow(int min, int max, double tolerance, LongSupplier nanoClock) {
        this.min = min;
        this.max = max;
        this.tolerance = tolerance;
        this.clock = nanoClock;
        this.limit = min;
        this.lastDrift = nanoClock.getAsLong();
    }

    /**
     * Takes room for {@code n} requests, waiting up to {@code waitMs}; false when there was none. A line of more
     * requests than the window holds goes when nothing else is in flight.
     */
    synchronized boolean acquire(int n, long waitMs) throws InterruptedException {
        long until = System.currentTimeMillis() + waitMs;
        while (!(inFlight == 0 || inFlight + n <= (int) limit)) {
            long left = until - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        inFlight += n;
        return true;
    }

    /** {@code n} requests answered after {@code latencyNanos} (publish to answer). */
    synchronized void release(int n, long latencyNanos) {
        inFlight = Math.max(0, inFlight - n);
        observe(latencyNanos);
        notifyAll();
    }

    /** {@code n} requests given up without an answer (a stop): no latency to learn from. */
    synchronized void forget(int n) {
        inFlight = Math.max(0, inFlight - n);
        notifyAll();
    }

    private void observe(long latency) {
        long now = clock.getAsLong();
        if (now - lastDrift >= DRIFT_PERIOD_NANOS && base != Long.MAX_VALUE) {
            base = (long) (base * 1.05);
            lastDrift = now;
        }
        base = Math.min(base, Math.max(1, latency));
        if (roundCount == round.length) {
            round = Arrays.copyOf(round, round.length * 2);
        }
        round[roundCount++] = latency;
        if (roundCount < Math.max(4, (int) limit)) {
            return;
        }
        Arrays.sort(round, 0, roundCount);
        long median = round[roundCount / 2];
        roundCount = 0;
        if (median <= tolerance * base) {
            limit = Math.min(max, limit + Math.max(1, limit * 0.1));
        } else {
            limit = Math.max(min, limit * 0.8);
        }
    }

    synchronized int limit() {
        return (int) limit;
    }

    synchronized int inFlight() {
        return inFlight;
    }

    /** The lowest latency seen (drifted), nanoseconds; {@link Long#MAX_VALUE} before any. */
    synchronized long baseLatencyNanos() {
        return base;
    }
}
