package io.streaminfer.job.config;

import java.util.ArrayList;
import java.util.List;

/**
 * What one slot of the job holds on the heap at most, and whether that fits the task manager's task heap per slot.
 * Every part is bounded by a setting, so the sum is a bound too:
 *
 * <pre>
 *   fetched ahead   (queue capacity + 2) × fetch.max.bytes   Kafka consumer buffer, hand-over, the source's queue
 * + parsing         3 × max-request-bytes                      a record, its text as UTF-16, the JSON parser's buffers
 * + in flight       2 × max-in-flight-bytes                    requests and results in flight, and a checkpoint's copy
 * + sink buffers    3 × buffer.memory                          the results, status and dead-letter producers
 * + base            64 MiB                                     Flink's task, Kafka clients, RocksDB's JNI objects
 * </pre>
 *
 * Text leaves the parser as token ids (a 4 MB text as ~1 KB), so after parsing only in-flight work is large. Native
 * memory (libtorch: the model, and one forward pass, which the token budget bounds) is budgeted apart, as task
 * off-heap memory. {@code limits.max-in-flight-bytes: 0} (the default) derives it from the task heap: what is left of
 * the countable part of a slot's share once the other parts are counted, halved, between 16 and 256 MiB; 64 MiB when
 * the task managers' memory is not known where the job is built.
 *
 * <pre>{@code
 * MemoryBudget b = MemoryBudget.of(config, taskHeapPerSlot);   // taskHeapPerSlot: null when unknown
 * b.problems();       // empty when it fits; else what to change
 * b.maxInFlightBytes();
 * }</pre>
 */
public final class MemoryBudget {
    public static final long MIB = 1L << 20;
    static final long BASE = 64 * MIB;
    static final long DEFAULT_IN_FLIGHT = 64 * MIB;
    static final long MIN_AUTO_IN_FLIGHT = 16 * MIB;
    static final long MAX_AUTO_IN_FLIGHT = 256 * MIB;
    /** Kafka consumer fetch size the job sets unless kafka.properties does (Kafka's default is 50 MiB). */
    public static final long DEFAULT_FETCH_MAX_BYTES = 4 * MIB;
    /** Per partition and fetch; a record larger than it still comes, alone. */
    public static final long DEFAULT_PARTITION_FETCH_BYTES = 2 * MIB;
    /** Each sink producer's buffer unless kafka.properties says (Kafka's default is 32 MiB). */
    public static final long DEFAULT_BUFFER_MEMORY = 8 * MIB;
    /**
     * The results sink's producer batch unless kafka.properties says (Kafka's default is 16 KiB): a 384-float
     * embedding is ~4.5 KB of JSON, so 16 KiB batches filled at 3 results and a produce request left every few
     * results; 64 KiB hold a millisecond's linger at ~10k results/s, and 128 of them still fit the buffer.
     */
    public static final int DEFAULT_RESULTS_BATCH_BYTES = 64 * 1024;
    /** Flink's source.reader.element.queue.capacity default: fetched batches a source reader queues. */
    public static final int ELEMENT_QUEUE_CAPACITY = 2;
    /** Head room left in the task heap for what is not counted (objects in flight between operators, GC). */
    static final double HEADROOM = 0.8;

    private final Long taskHeapPerSlot;
    private final long fetchedAhead;
    private final long parsing;
    private final long inFlight;
    private final long sinkBuffers;
    private final long maxInFlightBytes;
    private final List<String> problems = new ArrayList<>();

    private MemoryBudget(Long taskHeapPerSlot, long fetchMaxBytes, long maxRequestBytes, long configuredInFlight,
            long bufferMemory) {
        this.taskHeapPerSlot = taskHeapPerSlot;
        this.fetchedAhead = (ELEMENT_QUEUE_CAPACITY + 2) * fetchMaxBytes;
        this.parsing = 3 * maxRequestBytes;
        this.sinkBuffers = 3 * bufferMemory;
        long fixed = fetchedAhead + parsing + sinkBuffers + BASE;
        this.maxInFlightBytes = configuredInFlight > 0 ? configuredInFlight : autoInFlight(taskHeapPerSlot, fixed);
        this.inFlight = 2 * maxInFlightBytes;
        if (taskHeapPerSlot != null && total() > HEADROOM * taskHeapPerSlot) {
            problems.add(String.format("the job needs up to %d MiB of heap per slot (fetched ahead %d + parsing %d "
                    + "+ in flight %d + sink buffers %d + base %d MiB) but a slot's share of the task managers' task "
                    + "heap is %d MiB, of which %.0f%% may be counted: lower limits.max-in-flight-bytes (now %d MiB) "
                    + "or limits.max-request-bytes (now %d MiB), or give the task managers more task heap "
                    + "(taskmanager.memory.task.heap.size or process.size) or fewer slots",
                    total() / MIB, fetchedAhead / MIB, parsing / MIB, inFlight / MIB, sinkBuffers / MIB,
                    BASE / MIB, taskHeapPerSlot / MIB, HEADROOM * 100, maxInFlightBytes / MIB,
                    maxRequestBytes / MIB));
        }
        if (maxInFlightBytes < 2 * maxRequestBytes) {
            problems.add("limits.max-in-flight-bytes (" + maxInFlightBytes / MIB + " MiB) must hold at least two "
                    + "requests of limits.max-request-bytes (" + maxRequestBytes / MIB + " MiB) so that the "
                    + "largest requests still batch: raise it, or lower limits.max-request-bytes");
        }
    }

    /** From the job config and the task heap per slot (null when it is not known where the job is built). */
    public static MemoryBudget of(JobConfig config, Long taskHeapPerSlot) {
        return new MemoryBudget(taskHeapPerSlot,
                bytesProperty(config, "fetch.max.bytes", DEFAULT_FETCH_MAX_BYTES),
                config.limits.maxRequestBytes, config.limits.maxInFlightBytes,
                bytesProperty(config, "buffer.memory", DEFAULT_BUFFER_MEMORY));
    }

    private static long autoInFlight(Long taskHeapPerSlot, long fixed) {
        if (taskHeapPerSlot == null) {
            return DEFAULT_IN_FLIGHT;
        }
        long left = (long) (HEADROOM * taskHeapPerSlot) - fixed;
        return Math.max(MIN_AUTO_IN_FLIGHT, Math.min(MAX_AUTO_IN_FLIGHT, left / 2));
    }

    private static long bytesProperty(JobConfig config, String key, long fallback) {
        String v = config.kafka.properties.get(key);
        try {
            return v == null ? fallback : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return fallback; // the Kafka client refuses it with its own message
        }
    }

    /** The bound on in-flight bytes per inference subtask: the configured one, or derived (see the class). */
    public long maxInFlightBytes() {
        return maxInFlightBytes;
    }

    /** The whole bound, in bytes. */
    public long total() {
        return fetchedAhead + parsing + inFlight + sinkBuffers + BASE;
    }

    /** Empty when the bound fits; else each problem with what to change. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** One line for the log. */
    public String describe() {
        return String.format("heap bound per slot %d MiB (fetched ahead %d + parsing %d + in flight %d + sink "
                + "buffers %d + base %d)%s", total() / MIB, fetchedAhead / MIB, parsing / MIB, inFlight / MIB,
                sinkBuffers / MIB, BASE / MIB, taskHeapPerSlot == null ? "; task heap not known here"
                        : "; task heap per slot " + taskHeapPerSlot / MIB + " MiB");
    }
}
