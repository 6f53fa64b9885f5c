package io.streaminfer.bridge.infer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the responses this replica holds open at once (server-sent event streams, gRPC streams): each holds a
 * connection, a Kafka follow and buffers for as long as its generation runs, so beyond the bound a caller is told to
 * come back (429 with Retry-After, gRPC RESOURCE_EXHAUSTED) instead of the replica running out of them.
 *
 * <pre>{@code
 * if (!slots.tryOpen()) { answer429(); return; }
 * response.endHandler(v -> slots.close());
 * }</pre>
 */
public final class StreamSlots {
    private final int max;
    private final AtomicInteger open = new AtomicInteger();

    public StreamSlots(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("at least one stream must be allowed, got " + max);
        }
        this.max = max;
    }

    public boolean tryOpen() {
        while (true) {
            int n = open.get();
            if (n >= max) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    public void close() {
        open.decrementAndGet();
    }

    public int open() {
        return open.get();
    }

    public int max() {
        return max;
    }
}
