package io.streaminfer.runtime.internal;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.RequestValidator;
import io.streaminfer.contract.model.TensorSpec;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RequestPreparer;

/**
 * A tensor model's preparation: the declared signature checked; the cost of a row is 1, or its input elements when
 * the model has {@code max_batch_elements}. The request's tensors are the payload.
 */
public final class TensorPreparer implements RequestPreparer {
    private final ModelVersion version;

    public TensorPreparer(ModelVersion version) {
        this.version = version;
    }

    @Override
    public ModelVersion model() {
        return version;
    }

    @Override
    public PreparedRequest prepare(InferenceRequest request) {
        ModelConfig config = version.config();
        int rows = RequestValidator.validate(request, config);
        long rowElements = 0;
        long bytes = 64;
        for (Tensor t : request.inputs()) {
            long elements = Tensor.elementCount(t.shape());
            rowElements += elements / Math.max(1, rows);
            bytes += elements * 8; // the parsed arrays, and their copy into the stacked input
        }
        for (TensorSpec o : config.outputs()) {
            long perRow = 1;
            for (int d = 1; d < o.rank(); d++) {
                perRow *= Math.max(1, o.dim(d));
            }
            bytes += perRow * rows * (8 + 12); // the output array and its JSON
        }
        int cost = config.maxBatchElements() > 0 ? (int) Math.min(Integer.MAX_VALUE, Math.max(1, rowElements)) : 1;
        return new PreparedRequest(version.key(), request, rows, cost, (long) cost * rows, bytes, request);
    }

    @Override
    public void close() {
    }
}
