package io.streaminfer.batching;

import java.time.Duration;

/**
 * How a {@link MicroBatcher} forms batches.
 *
 * <pre>{@code
 * BatchingConfig config = BatchingConfig.builder()
 *         .name("all-minilm-l6-v2")          // worker thread names and logs
 *         .maxBatchRows(32)                  // default 32
 *         .maxDelay(Duration.ofMillis(5))    // default 5 ms; only waited while another worker is busy
 *         .workers(replica.workers())        // default 1
 *         .bucketing(true)                   // default false: group rows of similar token length
 *         .build();
 * MicroBatcher batcher = new MicroBatcher(config, replica::predictBatch, replica::costOf,
 *         listener, System::nanoTime, System::currentTimeMillis);
 * }</pre>
 */
public final class BatchingConfig {
    private final String name;
    private final int maxBatchRows;
    private final Duration maxDelay;
    private final int workers;
    private final boolean bucketing;
    private final Duration closeTimeout;

    private BatchingConfig(Builder b) {
        this.name = b.name;
        this.maxBatchRows = b.maxBatchRows;
        this.maxDelay = b.maxDelay;
        this.workers = b.workers;
        this.bucketing = b.bucketing;
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

    /** Whether a batch takes only requests of the head request's cost bucket (powers of two). */
    public boolean bucketing() {
        return bucketing;
    }

    /** How long {@link MicroBatcher#close()} waits for the worker threads to end. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    @Override
    public String toString() {
        return "BatchingConfig{name=" + name + ", maxBatchRows=" + maxBatchRows + ", maxDelay=" + maxDelay
                + ", workers=" + workers + ", bucketing=" + bucketing + "}";
    }

    public static final class Builder {
        private String name = "batcher";
        private int maxBatchRows = 32;
        private Duration maxDelay = Duration.ofMillis(5);
        private int workers = 1;
        private boolean bucketing;
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

        public Builder maxDelay(Duration maxDelay) {
            this.maxDelay = maxDelay;
            return this;
        }

        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        public Builder bucketing(boolean bucketing) {
            this.bucketing = bucketing;
            return this;
        }

        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = closeTimeout;
            return this;
        }

        /** @throws IllegalArgumentException naming the setting to change */
        public BatchingConfig build() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank; set it to the model's name, e.g. "
                        + "name(\"all-minilm-l6-v2\")");
            }
            if (maxBatchRows < 1) {
                throw new IllegalArgumentException("maxBatchRows must be >= 1 (1 turns batching off), got "
                        + maxBatchRows);
            }
            if (maxDelay == null || maxDelay.isNegative()) {
                throw new IllegalArgumentException("maxDelay must be >= 0 (Duration.ZERO never waits to fill a "
                        + "batch), got " + maxDelay);
            }
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be >= 1 (the executor calls that may run at once, "
                        + "e.g. the replica's workers()), got " + workers);
            }
            if (closeTimeout == null || closeTimeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout must be >= 0, got " + closeTimeout);
            }
            return new BatchingConfig(this);
        }
    }
}
