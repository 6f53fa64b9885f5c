package io.streaminfer.batching.internal;

/**
 * What model calls have taken per unit of cost, smoothed, and the time budget it implies for a call: {@code factor}
 * times the expected time, never less than the minimum. Until a call has been seen, the budget is the minimum.
 * Per-unit times of small calls are inflated by the fixed cost of a call, which only makes budgets larger.
 */
final class CallTimes {
    private static final double WEIGHT = 0.2;

    private final long minNanos;
    private final double factor;
    private double nanosPerCost; // guarded by this

    CallTimes(long minNanos, double factor) {
        this.minNanos = minNanos;
        this.factor = factor;
    }

    synchronized void observe(long cost, long nanos) {
        double perCost = (double) nanos / Math.max(1, cost);
        nanosPerCost = nanosPerCost == 0 ? perCost : (1 - WEIGHT) * nanosPerCost + WEIGHT * perCost;
    }

    synchronized long budgetNanos(long cost) {
        double expected = nanosPerCost * Math.max(1, cost) * factor;
        return expected >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(minNanos, (long) expected);
    }
}
