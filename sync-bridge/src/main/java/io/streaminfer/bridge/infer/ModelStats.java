package io.streaminfer.bridge.infer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per model version, what this replica saw of its sync calls (HTTP and gRPC), in the shape of Triton's statistics
 * extension: successes and failures with their cumulative time (request to answer), rows inferred, the time of the
 * last call, and the job's queue and compute time where its result records said them
 * ({@code timing-queue-us}, {@code timing-compute-us}).
 */
public final class ModelStats {
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** One model version's counters; read without locking (each is consistent on its own). */
    public static final class Entry {
        public final String model;
        public final String version;
        public final AtomicLong lastInferenceMs = new AtomicLong();
        public final AtomicLong inferenceCount = new AtomicLong();
        public final Duration success = new Duration();
        public final Duration fail = new Duration();
        public final Duration queue = new Duration();
        public final Duration compute = new Duration();

        Entry(String model, String version) {
            this.model = model;
            this.version = version;
        }
    }

    /** A count and a total in nanoseconds, Triton's {@code $duration_stat}. */
    public static final class Duration {
        public final AtomicLong count = new AtomicLong();
        public final AtomicLong ns = new AtomicLong();

        void add(long nanos) {
            count.incrementAndGet();
            ns.addAndGet(nanos);
        }
    }

    private Entry entry(String model, String version) {
        return entries.computeIfAbsent(model + ":" + version, k -> new Entry(model, version));
    }

    /** @param queueUs the job's queue time, -1 when unknown; {@code computeUs} likewise */
    public void success(String model, String version, long rows, long nanos, long queueUs, long computeUs) {
        Entry e = entry(model, version);
        e.lastInferenceMs.set(System.currentTimeMillis());
        e.inferenceCount.addAndGet(rows);
        e.success.add(nanos);
        if (queueUs >= 0) {
            e.queue.add(queueUs * 1000);
        }
        if (computeUs >= 0) {
            e.compute.add(computeUs * 1000);
        }
    }

    public void failure(String model, String version, long nanos) {
        Entry e = entry(model, version);
        e.lastInferenceMs.set(System.currentTimeMillis());
        e.fail.add(nanos);
    }

    /** The counters of one version, or a fresh empty entry when it saw no call yet. */
    public Entry get(String model, String version) {
        Entry e = entries.get(model + ":" + version);
        return e != null ? e : new Entry(model, version);
    }

    public List<Entry> all() {
        return List.copyOf(entries.values());
    }
}
