package io.streaminfer.contract.model;

import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Checks a request against a model's declared inputs and outputs before it is queued, so a bad request fails alone
 * with a message that names the input, what was expected and what came. Shared by the job and the bridge.
 */
public final class RequestValidator {
    private RequestValidator() {}

    /**
     * @return the number of rows (batch entries) the request carries
     * @throws InferenceException INVALID_INPUT
     */
    public static int validate(InferenceRequest request, ModelConfig config) {
        List<TensorSpec> specs = config.inputs();
        for (Tensor t : request.inputs()) {
            if (find(specs, t.name()) == null) {
                throw InferenceException.invalidInput("unexpected input '" + t.name() + "'; the model takes "
                        + names(specs));
            }
        }
        long rows = -1;
        String rowsFrom = null;
        for (TensorSpec spec : specs) {
            Tensor t = request.input(spec.name());
            if (t == null) {
                throw InferenceException.invalidInput("missing input '" + spec.name() + "' (" + spec.datatype() + " "
                        + Arrays.toString(spec.shape()) + ")");
            }
            if (t.datatype() != spec.datatype()) {
                throw InferenceException.invalidInput("input '" + spec.name() + "' must be " + spec.datatype()
                        + ", got " + t.datatype());
            }
            long[] shape = t.shape();
            if (shape.length != spec.rank()) {
                throw InferenceException.invalidInput("input '" + spec.name() + "' must have shape "
                        + Arrays.toString(spec.shape()) + " (rank " + spec.rank() + "), got " + Arrays.toString(shape));
            }
            for (int i = 1; i < shape.length; i++) {
                if (spec.dim(i) != -1 && spec.dim(i) != shape[i]) {
                    throw InferenceException.invalidInput("input '" + spec.name() + "' must have shape "
                            + Arrays.toString(spec.shape()) + ", got " + Arrays.toString(shape) + " (dimension " + i
                            + " must be " + spec.dim(i) + ")");
                }
            }
            if (shape[0] < 1) {
                throw InferenceException.invalidInput("input '" + spec.name() + "' has no rows (shape "
                        + Arrays.toString(shape) + ")");
            }
            if (rows == -1) {
                rows = shape[0];
                rowsFrom = spec.name();
            } else if (shape[0] != rows) {
                throw InferenceException.invalidInput("inputs '" + rowsFrom + "' and '" + spec.name()
                        + "' disagree on the batch dimension: " + rows + " vs " + shape[0]);
            }
        }
        if (rows > config.maxBatchSize()) {
            throw InferenceException.invalidInput("the request carries " + rows + " rows but the model's "
                    + "max_batch_size is " + config.maxBatchSize() + "; split it into smaller requests");
        }
        for (RequestedOutput o : request.outputs()) {
            if (find(config.outputs(), o.name()) == null) {
                throw InferenceException.invalidInput("unknown output '" + o.name() + "' requested; the model gives "
                        + names(config.outputs()));
            }
        }
        return (int) rows;
    }

    static TensorSpec find(List<TensorSpec> specs, String name) {
        for (TensorSpec s : specs) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    static List<String> names(List<TensorSpec> specs) {
        return specs.stream().map(TensorSpec::name).toList();
    }
}
