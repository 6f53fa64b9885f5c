package io.streaminfer.flink.generation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The IDs cancelled in the last {@code ttlMillis}, at most {@code capacity} of them: a cancel that arrives before its
 * request (or before the request's re-run after a restore) still cancels it. Thread-safe.
 */
final class RecentCancels {
    private final long ttlMillis;
    private final int capacity;
    private final LinkedHashMap<String, Long> cancelledAt = new LinkedHashMap<>();

    RecentCancels(long ttlMillis, int capacity) {
        this.ttlMillis = ttlMillis;
        this.capacity = capacity;
    }

    synchronized void add(String id, long nowMillis) {
        cancelledAt.remove(id);
        cancelledAt.put(id, nowMillis);
        evict(nowMillis);
    }

    synchronized boolean contains(String id, long nowMillis) {
        evict(nowMillis);
        return cancelledAt.containsKey(id);
    }

    private void evict(long nowMillis) {
        var it = cancelledAt.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (cancelledAt.size() <= capacity && nowMillis - e.getValue() <= ttlMillis) {
                break; // in insertion order: the rest are younger
            }
            it.remove();
        }
    }
}
