package io.streaminfer.bridge.infer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the request bytes this replica holds at once (bodies being read, parsed, published and waited on), so
 * many large bodies at the same time are refused (429 with Retry-After, gRPC RESOURCE_EXHAUSTED) before the heap is
 * at risk; the count of calls alone ({@code http.max-in-flight}) does not bound memory.
 *
 * <pre>{@code
 * if (budget.tryReserve(contentLength)) { ...; budget.release(contentLength); }
 * }</pre>
 */
public final class MemoryBudget {
    private final long maxBytes;
    private final AtomicLong held = new AtomicLong();

    public MemoryBudget(long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("a memory budget must be positive, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** The default budget: an eighth of the heap (a body is held about three times: buffer, copy, parsed tensors). */
    public static long defaultBytes() {
        return Runtime.getRuntime().maxMemory() / 8;
    }

    public boolean tryReserve(long bytes) {
        while (true) {
            long now = held.get();
            // One request larger than the whole budget still goes through alone, so no size is refused forever.
            if (now > 0 && now + bytes > maxBytes) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    public void release(long bytes) {
        held.addAndGet(-bytes);
    }

    public long held() {
        return held.get();
    }

    public long max() {
        return maxBytes;
    }
}
