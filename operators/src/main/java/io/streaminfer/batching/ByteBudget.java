package io.streaminfer.batching;

/**
 * A bound on the bytes that requests in flight hold (their payloads, parsed inputs and results), shared by the
 * batchers of one task. {@link #acquire} blocks while the bound would be passed; a single request larger than the
 * bound still gets in when nothing else is in flight, so it runs alone instead of never.
 *
 * <pre>{@code
 * ByteBudget budget = new ByteBudget(256L << 20);
 * budget.acquire(bytes);                    // before queueing a request
 * future.whenComplete((p, e) -> budget.release(bytes));
 * }</pre>
 */
public final class ByteBudget {
    private final long limit;
    private long used; // guarded by this

    /** @param limit bytes; {@link Long#MAX_VALUE} for no bound */
    public ByteBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("a byte budget must be >= 1 byte, got " + limit);
        }
        this.limit = limit;
    }

    /** @throws InterruptedException when interrupted while waiting (e.g. the task is cancelled) */
    public synchronized void acquire(long bytes) throws InterruptedException {
        while (used > 0 && used + bytes > limit) {
            wait();
        }
        used += bytes;
    }

    public synchronized void release(long bytes) {
        used = Math.max(0, used - bytes);
        notifyAll();
    }

    public synchronized long used() {
        return used;
    }

    public long limit() {
        return limit;
    }
}
