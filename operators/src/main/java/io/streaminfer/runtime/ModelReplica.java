package io.streaminfer.runtime;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.ModelVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * One loaded copy of one model version on one device. Thread-safe: calls run at once, each on a predictor of its own
 * (the pool grows past {@code workers} only when more calls run at once, e.g. while one is stuck).
 */
public interface ModelReplica extends AutoCloseable {
    ModelVersion model();

    /** The device this replica runs on, as DJL names it (e.g. {@code cpu()}, {@code gpu(0)}). */
    String device();

    /** How many calls are meant to run at once: the predictors it starts with. */
    int workers();

    /**
     * Checks a request against the model and does its share of the work that comes before batching, once: a text
     * model cuts each row to what its tokenizer reads ({@code text.max_length} tokens, or refuses longer ones when
     * {@code text.overflow} is {@code refuse}) and tokenizes it; the result says what the request costs a batch.
     * Confined: a text model's tokenizer is never used by two threads at once.
     *
     * @throws io.streaminfer.contract.InferenceException INVALID_INPUT naming what is wrong
     */
    PreparedRequest prepare(InferenceRequest request);

    /**
     * Runs prepared requests (of this replica). The result has one {@link Prediction} per request, in order; a
     * request the model fails on fails with the call it ran in, never by an exception out of this method. The rows
     * run in calls of at most the model's {@code max_batch_size} rows and, for a text model, {@code maxBatchCost}
     * padded tokens, shortest rows together (a single row over the budget runs alone).
     *
     * @param maxBatchCost padded tokens per call of a text model; 0 for the model's own {@code max_batch_tokens}
     */
    List<Prediction> predictPrepared(List<PreparedRequest> requests, long maxBatchCost);

    /**
     * Prepares and runs a batch: {@link #prepare} for each request (an invalid one fails alone), then {@link
     * #predictPrepared} with the model's own budget.
     */
    default List<Prediction> predictBatch(List<InferenceRequest> requests) {
        Prediction[] out = new Prediction[requests.size()];
        List<PreparedRequest> prepared = new ArrayList<>(requests.size());
        List<Integer> index = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            try {
                prepared.add(prepare(requests.get(i)));
                index.add(i);
            } catch (InferenceException e) {
                out[i] = Prediction.failure(e);
            } catch (RuntimeException e) {
                out[i] = Prediction.failure(ErrorCode.INVALID_INPUT, "invalid request: " + e.getMessage());
            }
        }
        List<Prediction> ran = predictPrepared(prepared, 0);
        for (int k = 0; k < ran.size(); k++) {
            out[index.get(k)] = ran.get(k);
        }
        return List.of(out);
    }

    @Override
    void close();
}
