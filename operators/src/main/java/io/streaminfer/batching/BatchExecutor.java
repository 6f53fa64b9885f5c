package io.streaminfer.batching;

import io.streaminfer.runtime.Prediction;
import java.util.List;

/**
 * Runs one batch on the model, e.g. {@code batch -> replica.predictPrepared(batch, budget)}.
 *
 * <p>Returns one {@link Prediction} per item, in the order given. It may throw a {@link RuntimeException}; the
 * batcher then treats every item of that call as failed with {@code MODEL_ERROR}. Called from up to
 * {@link BatchingConfig#workers()} threads at once, and from one more for each call the watchdog gave up on.
 *
 * @param <T> what is batched (a prepared request)
 */
@FunctionalInterface
public interface BatchExecutor<T> {
    List<Prediction> run(List<T> batch);
}
