package io.streaminfer.flink.inference;

import java.io.Serializable;

/** The batching knobs of one model in the job. Rows of multi-row requests count toward {@code maxBatchSize}. */
public final class BatchingSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int maxBatchSize;
    private final long maxDelayMs;
    private final boolean bucketing;

    /**
     * @param maxBatchSize most rows per model call; 0 means the model's own {@code max_batch_size}
     * @param maxDelayMs how long the oldest request may wait for a fuller batch while another batch is running
     * @param bucketing group text rows of similar token length into a batch, to cut padding
     */
    public BatchingSettings(int maxBatchSize, long maxDelayMs, boolean bucketing) {
        if (maxBatchSize < 0) {
            throw new IllegalArgumentException("max-batch-size must be >= 1 (or 0 for the model's own), got "
                    + maxBatchSize);
        }
        if (maxDelayMs < 0) {
            throw new IllegalArgumentException("max-delay-ms must be >= 0, got " + maxDelayMs);
        }
        this.maxBatchSize = maxBatchSize;
        this.maxDelayMs = maxDelayMs;
        this.bucketing = bucketing;
    }

    public int maxBatchSize() {
        return maxBatchSize;
    }

    public long maxDelayMs() {
        return maxDelayMs;
    }

    public boolean bucketing() {
        return bucketing;
    }
}
