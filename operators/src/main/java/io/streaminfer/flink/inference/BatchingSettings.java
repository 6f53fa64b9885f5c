package io.streaminfer.flink.inference;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The batching knobs of one model in the job. Zero or null means "the model's own" (from its {@code model.yaml}) or
 * the documented default.
 *
 * <pre>{@code
 * BatchingSettings s = BatchingSettings.builder()
 *         .maxBatchSize(64)        // rows per call; 0: the model's max_batch_size
 *         .maxBatchTokens(2048)    // text models: padded tokens per call; 0: the model's max_batch_tokens
 *         .maxBatchElements(0)     // tensor models: input elements per call; 0: the model's own
 *         .maxDelayMs(5)
 *         .grouping(true)          // null: on for text models, off for tensor models
 *         .queueBatches(4)
 *         .build();
 * }</pre>
 */
public final class BatchingSettings implements Serializable {
    private static final long serialVersionUID = 2L;

    private final int maxBatchSize;
    private final long maxBatchTokens;
    private final long maxBatchElements;
    private final long maxDelayMs;
    private final Boolean grouping;
    private final int queueBatches;
    private final long watchdogMinMs;
    private final double watchdogFactor;

    private BatchingSettings(Builder b) {
        this.maxBatchSize = b.maxBatchSize;
        this.maxBatchTokens = b.maxBatchTokens;
        this.maxBatchElements = b.maxBatchElements;
        this.maxDelayMs = b.maxDelayMs;
        this.grouping = b.grouping;
        this.queueBatches = b.queueBatches;
        this.watchdogMinMs = b.watchdogMinMs;
        this.watchdogFactor = b.watchdogFactor;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Most rows per model call; 0: the model's own {@code max_batch_size} (never more than it). */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /** Most padded tokens (rows × longest row) per call of a text model; 0: the model's own. */
    public long maxBatchTokens() {
        return maxBatchTokens;
    }

    /** Most input elements per call of a tensor model; 0: the model's own. */
    public long maxBatchElements() {
        return maxBatchElements;
    }

    /** How long the oldest request may wait for a fuller batch while another batch is running. */
    public long maxDelayMs() {
        return maxDelayMs;
    }

    /** Batch requests of similar length together; null: on for text models, off for tensor models. */
    public Boolean grouping() {
        return grouping;
    }

    /** Work that may wait in a replica's queue, in full batches per worker; 0: unbounded. */
    public int queueBatches() {
        return queueBatches;
    }

    /** The least time the watchdog gives a model call; 0 turns it off. */
    public long watchdogMinMs() {
        return watchdogMinMs;
    }

    /** A call's budget: this many times what calls of its cost took, at least {@link #watchdogMinMs()}. */
    public double watchdogFactor() {
        return watchdogFactor;
    }

    public static final class Builder {
        private int maxBatchSize;
        private long maxBatchTokens;
        private long maxBatchElements;
        private long maxDelayMs = 5;
        private Boolean grouping;
        private int queueBatches = 4;
        private long watchdogMinMs = 60_000;
        private double watchdogFactor = 20;

        public Builder maxBatchSize(int v) {
            this.maxBatchSize = v;
            return this;
        }

        public Builder maxBatchTokens(long v) {
            this.maxBatchTokens = v;
            return this;
        }

        public Builder maxBatchElements(long v) {
            this.maxBatchElements = v;
            return this;
        }

        public Builder maxDelayMs(long v) {
            this.maxDelayMs = v;
            return this;
        }

        public Builder grouping(Boolean v) {
            this.grouping = v;
            return this;
        }

        public Builder queueBatches(int v) {
            this.queueBatches = v;
            return this;
        }

        public Builder watchdogMinMs(long v) {
            this.watchdogMinMs = v;
            return this;
        }

        public Builder watchdogFactor(double v) {
            this.watchdogFactor = v;
            return this;
        }

        /** @throws IllegalArgumentException listing every knob to change */
        public BatchingSettings build() {
            List<String> p = new ArrayList<>();
            if (maxBatchSize < 0) {
                p.add("max-batch-size must be >= 1 (or 0 for the model's own), got " + maxBatchSize);
            }
            if (maxBatchTokens < 0) {
                p.add("max-batch-tokens must be >= 1 (or 0 for the model's own), got " + maxBatchTokens);
            }
            if (maxBatchElements < 0) {
                p.add("max-batch-elements must be >= 1 (or 0 for the model's own), got " + maxBatchElements);
            }
            if (maxDelayMs < 0) {
                p.add("max-delay-ms must be >= 0, got " + maxDelayMs);
            }
            if (queueBatches < 0) {
                p.add("queue-batches must be >= 0 (0: unbounded), got " + queueBatches);
            }
            if (watchdogMinMs < 0) {
                p.add("watchdog-min-ms must be >= 0 (0 turns the watchdog off), got " + watchdogMinMs);
            }
            if (!(watchdogFactor >= 1)) {
                p.add("watchdog-factor must be >= 1, got " + watchdogFactor);
            }
            if (!p.isEmpty()) {
                throw new IllegalArgumentException(String.join("; ", p));
            }
            return new BatchingSettings(this);
        }
    }
}
