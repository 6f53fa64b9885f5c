package io.streaminfer.batching;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.runtime.Prediction;
import java.util.List;

/**
 * Runs one batch on the model. {@code ModelReplica::predictBatch} fits.
 *
 * <p>Returns one {@link Prediction} per request, in the order given. It may throw a {@link RuntimeException}; the
 * batcher then treats every request of that call as failed with {@code MODEL_ERROR}. Called from up to
 * {@link BatchingConfig#workers()} threads at once.
 */
@FunctionalInterface
public interface BatchExecutor {
    List<Prediction> run(List<InferenceRequest> batch);
}
