package io.streaminfer.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a {@link MicroBatcher} forms batches, how much work may wait in its queue, and when its watchdog gives up on a
 * model call.
 *
 * <pre>{@code
 * BatchingConfig config = BatchingConfig.builder()
 *         .name("all-minilm-l6-v2")          // worker thread names and logs
 *         .maxBatchRows(64)                  // default 32
 *         .maxBatchCost(1024)                // default 0 (rows only): padded tokens of a text model's batch
 *         .grouping(true)                    // default false: batch requests of similar row cost (text length)
 *         .maxDelay(Duration.ofMillis(5))    // default 5 ms; only waited while another worker is busy
 *         .workers(replica.workers())        // default 1
 *         .queueBatches(4)                   // default 4: queued work per worker, in full batches
 *         .build();
 * }</pre>
 */
public final class BatchingConfig {
    private final String name;
    private final int maxBatchRows;
    private final long maxBatchCost;
    private final boolean grouping;
    private final Duration maxDelay;
    private final int workers;
    private final int queueBatches;
    private final Duration watchdogMin;
    private final double watchdogFactor;
    private final int maxStuckCalls;
    private final Duration closeTimeout;

    private BatchingConfig(Builder b) {
        this.name = b.name;
        this.maxBatchRows = b.maxBatchRows;
        this.maxBatchCost = b.maxBatchCost;
        this.grouping = b.grouping;
        this.maxDelay = b.maxDelay;
        this.workers = b.workers;
        this.queueBatches = b.queueBatches;
        this.watchdogMin = b.watchdogMin;
        this.watchdogFactor = b.watchdogFactor;
        this.maxStuckCalls = b.maxStuckCalls == null ? b.workers : b.maxStuckCalls;
        this.closeTimeout = b.closeTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Names the worker threads ({@code <name>-batcher-<i>}) and prefixes log lines. */
    public String name() {
        return name;
    }

    /** The most rows a batch holds; a single request with more rows runs alone. */
    public int maxBatchRows() {
        return maxBatchRows;
    }

    /**
     * The most a batch may cost (rows times the largest row cost, see {@link Work}); 0 when only rows count. A single
     * request over it runs alone.
     */
    public long maxBatchCost() {
        return maxBatchCost;
    }

    /**
     * Whether a batch takes only requests whose row cost is within a factor of about 1.41 of each other (all row
     * costs up to 16 together), so that little is padded. The oldest request still leads the next batch, so a long
     * text is never starved by a stream of short ones.
     */
    public boolean grouping() {
        return grouping;
    }

    /**
     * How long a free worker may hold the oldest queued request to fill a batch, while another worker is busy. An
     * idle batcher never waits.
     */
    public Duration maxDelay() {
        return maxDelay;
    }

    /** How many executor calls may run at once. */
    public int workers() {
        return workers;
    }

    /**
     * How much work may wait in the queue, in full batches per worker; 0 for no bound. {@link
     * MicroBatcher#awaitRoom} blocks its caller beyond it, which is how backpressure reaches the source before
     * queue waits grow.
     */
    public int queueBatches() {
        return queueBatches;
    }

    /**
     * The queued work {@link MicroBatcher#awaitRoom} lets in: {@code queueBatches × workers} batches of {@code
     * maxBatchCost} (of {@code maxBatchRows} rows when cost is not bounded); {@link Long#MAX_VALUE} when unbounded.
     */
    public long maxQueuedWork() {
        if (queueBatches == 0) {
            return Long.MAX_VALUE;
        }
        long perBatch = maxBatchCost > 0 ? maxBatchCost : maxBatchRows;
        return (long) queueBatches * workers * perBatch;
    }

    /** The least time a model call is given before the watchdog gives up on it; {@link Duration#ZERO}: no watchdog. */
    public Duration watchdogMin() {
        return watchdogMin;
    }

    /** A call's budget is this many times what the batcher has seen calls of its cost take, at least the minimum. */
    public double watchdogFactor() {
        return watchdogFactor;
    }

    /**
     * How many calls the watchdog may give up on that have not returned yet, before the batcher reports itself
     * broken ({@link MicroBatcher#failure()}); by default the number of workers.
     */
    public int maxStuckCalls() {
        return maxStuckCalls;
    }

    /** How long {@link MicroBatcher#close()} waits for the worker threads to end. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    @Override
    public String toString() {
        return "BatchingConfig{name=" + name + ", maxBatchRows=" + maxBatchRows + ", maxBatchCost=" + maxBatchCost
                + ", grouping=" + grouping + ", maxDelay=" + maxDelay + ", workers=" + workers + ", queueBatches="
                + queueBatches + ", watchdogMin=" + watchdogMin + ", watchdogFactor=" + watchdogFactor + "}";
    }

    public static final class Builder {
        private String name = "batcher";
        private int maxBatchRows = 32;
        private long maxBatchCost;
        private boolean grouping;
        private Duration maxDelay = Duration.ofMillis(5);
        private int workers = 1;
        private int queueBatches = 4;
        private Duration watchdogMin = Duration.ofSeconds(60);
        private double watchdogFactor = 20;
        private Integer maxStuckCalls;
        private Duration closeTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder maxBatchRows(int maxBatchRows) {
            this.maxBatchRows = maxBatchRows;
            return this;
        }

        public Builder maxBatchCost(long maxBatchCost) {
            this.maxBatchCost = maxBatchCost;
            return this;
        }

        public Builder grouping(boolean grouping) {
            this.grouping = grouping;
            return this;
        }

        public Builder maxDelay(Duration maxDelay) {
            this.maxDelay = maxDelay;
            return this;
        }

        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        public Builder queueBatches(int queueBatches) {
            this.queueBatches = queueBatches;
            return this;
        }

        public Builder watchdogMin(Duration watchdogMin) {
            this.watchdogMin = watchdogMin;
            return this;
        }

        public Builder watchdogFactor(double watchdogFactor) {
            this.watchdogFactor = watchdogFactor;
            return this;
        }

        public Builder maxStuckCalls(int maxStuckCalls) {
            this.maxStuckCalls = maxStuckCalls;
            return this;
        }

        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = closeTimeout;
            return this;
        }

        /** @throws IllegalArgumentException listing every setting to change */
        public BatchingConfig build() {
            List<String> p = new ArrayList<>();
            if (name == null || name.isBlank()) {
                p.add("name must not be blank; set it to the model's name, e.g. name(\"all-minilm-l6-v2\")");
            }
            if (maxBatchRows < 1) {
                p.add("maxBatchRows must be >= 1 (1 turns batching off), got " + maxBatchRows);
            }
            if (maxBatchCost < 0) {
                p.add("maxBatchCost must be >= 0 (0: only rows count), got " + maxBatchCost);
            }
            if (maxDelay == null || maxDelay.isNegative()) {
                p.add("maxDelay must be >= 0 (Duration.ZERO never waits to fill a batch), got " + maxDelay);
            }
            if (workers < 1) {
                p.add("workers must be >= 1 (the executor calls that may run at once, e.g. the replica's "
                        + "workers()), got " + workers);
            }
            if (queueBatches < 0) {
                p.add("queueBatches must be >= 0 (0: no bound on queued work), got " + queueBatches);
            }
            if (watchdogMin == null || watchdogMin.isNegative()) {
                p.add("watchdogMin must be >= 0 (Duration.ZERO turns the watchdog off), got " + watchdogMin);
            }
            if (!(watchdogFactor >= 1)) {
                p.add("watchdogFactor must be >= 1, got " + watchdogFactor);
            }
            if (maxStuckCalls != null && maxStuckCalls < 0) {
                p.add("maxStuckCalls must be >= 0, got " + maxStuckCalls);
            }
            if (closeTimeout == null || closeTimeout.isNegative()) {
                p.add("closeTimeout must be >= 0, got " + closeTimeout);
            }
            if (!p.isEmpty()) {
                throw new IllegalArgumentException("invalid batching config: " + String.join("; ", p));
            }
            return new BatchingConfig(this);
        }
    }
}
