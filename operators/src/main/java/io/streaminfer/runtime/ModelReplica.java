package io.streaminfer.runtime;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.ModelVersion;
import java.util.List;

/**
 * One loaded copy of one model version on one device. Thread-safe: up to {@code workers} calls run at once, each on
 * its own predictor; more callers wait for a free one.
 */
public interface ModelReplica extends AutoCloseable {
    ModelVersion model();

    /** The device this replica runs on, as DJL names it (e.g. {@code cpu()}, {@code gpu(0)}). */
    String device();

    /** How many {@link #predictBatch} calls may run at once. */
    int workers();

    /**
     * Runs a batch. The result has one {@link Prediction} per request, in order; a request that is invalid, or that
     * the model fails on, fails alone or with the batch it ran in, never by an exception out of this method.
     * Batches larger than the model's {@code max_batch_size} rows are split.
     */
    List<Prediction> predictBatch(List<InferenceRequest> requests);

    /**
     * The length in tokens a text row would have (text models only; others answer 1). Lets a batcher group rows of
     * similar length, which cuts padding.
     */
    default int costOf(InferenceRequest request) {
        return 1;
    }

    @Override
    void close();
}
