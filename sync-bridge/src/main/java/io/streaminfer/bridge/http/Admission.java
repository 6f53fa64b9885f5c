package io.streaminfer.bridge.http;

import java.util.concurrent.atomic.AtomicInteger;

/** Bounds the sync calls waiting at once on this replica; beyond the bound callers are shed (429). */
final class Admission {
    private final int max;
    private final AtomicInteger inFlight = new AtomicInteger();

    Admission(int max) {
        this.max = max;
    }

    boolean tryAcquire() {
        while (true) {
            int n = inFlight.get();
            if (n >= max) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        inFlight.decrementAndGet();
    }

    int inFlight() {
        return inFlight.get();
    }
}
