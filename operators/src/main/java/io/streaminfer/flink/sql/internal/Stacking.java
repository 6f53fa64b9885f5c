package io.streaminfer.flink.sql.internal;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One-row requests stacked along the batch dimension into one multi-row request, and a multi-row response split
 * back into one response per row. Rows stack only when every input has the same inner shape ({@link #shapeKey}).
 */
public final class Stacking {
    private Stacking() {}

    /** Equal for rows that can share a request: the inner dimensions of each input. */
    public static String shapeKey(InferenceRequest row) {
        StringBuilder b = new StringBuilder();
        for (Tensor t : row.inputs()) {
            b.append(t.name()).append(Arrays.toString(Arrays.copyOfRange(t.shape(), 1, t.rank()))).append(';');
        }
        return b.toString();
    }

    /** The rows (of one {@link #shapeKey}) as one request; its id is {@code id}. */
    public static InferenceRequest stack(String id, List<InferenceRequest> rows) {
        InferenceRequest first = rows.get(0);
        List<Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < first.inputs().size(); i++) {
            Tensor t0 = first.inputs().get(i);
            long[] shape = t0.shape();
            long total = 0;
            for (InferenceRequest r : rows) {
                total += r.inputs().get(i).rows();
            }
            shape[0] = total;
            Object data = java.lang.reflect.Array.newInstance(t0.data().getClass().getComponentType(),
                    Math.toIntExact(Tensor.elementCount(shape)));
            int at = 0;
            for (InferenceRequest r : rows) {
                Tensor t = r.inputs().get(i);
                System.arraycopy(t.data(), 0, data, at, t.length());
                at += t.length();
            }
            inputs.add(new Tensor(t0.name(), t0.datatype(), shape, data));
        }
        return new InferenceRequest(id, null, inputs, first.outputs());
    }

    /**
     * One response per row, each output cut to the row's slice.
     *
     * @throws InferenceException MODEL_ERROR when an output does not have one entry per row
     */
    public static List<InferenceResponse> split(InferenceResponse response, List<InferenceRequest> rows) {
        int n = rows.size();
        List<List<Tensor>> perRow = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            perRow.add(new ArrayList<>());
        }
        for (Tensor t : response.outputs()) {
            if (t.rank() == 0 || t.dim(0) != n) {
                throw new InferenceException(ErrorCode.MODEL_ERROR, "output '" + t.name() + "' has shape "
                        + Arrays.toString(t.shape()) + " for " + n + " rows: its first dimension must be " + n);
            }
            int rowLength = t.length() / n;
            long[] shape = t.shape();
            shape[0] = 1;
            for (int r = 0; r < n; r++) {
                Object data = java.lang.reflect.Array.newInstance(t.data().getClass().getComponentType(), rowLength);
                System.arraycopy(t.data(), r * rowLength, data, 0, rowLength);
                perRow.get(r).add(new Tensor(t.name(), t.datatype(), shape, data));
            }
        }
        List<InferenceResponse> out = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            out.add(new InferenceResponse(response.modelName(), response.modelVersion(), rows.get(r).id(), null,
                    perRow.get(r)));
        }
        return out;
    }
}
