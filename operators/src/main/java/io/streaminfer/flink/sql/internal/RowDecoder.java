package io.streaminfer.flink.sql.internal;

import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.Tensor;
import java.io.Serializable;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * Turns a one-row OIP response into the SQL row of the model's OUTPUT columns (the error column, if any, null), and
 * a failure into the row of nulls whose error column says why.
 */
public final class RowDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final RowBindings bindings;

    public RowDecoder(RowBindings bindings) {
        this.bindings = bindings;
    }

    /** @throws InferenceException MODEL_ERROR when the response lacks an output or has another shape than declared */
    public RowData decode(InferenceResponse response) {
        GenericRowData row = new GenericRowData(bindings.outputArity());
        for (ColumnBinding b : bindings.outputs()) {
            Tensor t = response.output(b.tensor().name());
            if (t == null) {
                throw new InferenceException(io.streaminfer.contract.ErrorCode.MODEL_ERROR, "the model's response has"
                        + " no output '" + b.tensor().name() + "'");
            }
            row.setField(b.position(), value(b, t));
        }
        return row;
    }

    /** The row of a failed prediction: null outputs, the error column (if any) carrying {@code error}. */
    public RowData failed(String error) {
        GenericRowData row = new GenericRowData(bindings.outputArity());
        if (bindings.errorPosition() >= 0) {
            row.setField(bindings.errorPosition(), StringData.fromString(error));
        }
        return row;
    }

    private static Object value(ColumnBinding b, Tensor t) {
        long[] shape = t.shape();
        if (shape.length == 0 || shape[0] != 1) {
            throw new InferenceException(io.streaminfer.contract.ErrorCode.MODEL_ERROR, "output '" + t.name()
                    + "' has shape " + java.util.Arrays.toString(shape) + " for one row");
        }
        if (t.datatype().storage() != b.tensor().datatype().storage()) {
            throw new InferenceException(io.streaminfer.contract.ErrorCode.MODEL_ERROR, "output '" + t.name()
                    + "' came as " + t.datatype() + ", the model declares " + b.tensor().datatype());
        }
        LogicalType element = b.element();
        if (b.depth() == 0) {
            return element(t, 0, element);
        }
        if (b.flat()) {
            return leaf(t, 0, t.length(), element);
        }
        if (shape.length - 1 != b.depth()) {
            throw new InferenceException(io.streaminfer.contract.ErrorCode.MODEL_ERROR, "output '" + t.name()
                    + "' has shape " + java.util.Arrays.toString(shape) + ", not the rank the column declares");
        }
        return nested(t, shape, 1, 0, element);
    }

    /** The array of dimension {@code dim} starting at flat element {@code offset}. */
    private static GenericArrayData nested(Tensor t, long[] shape, int dim, int offset, LogicalType element) {
        int n = (int) shape[dim];
        if (dim == shape.length - 1) {
            return leaf(t, offset, n, element);
        }
        int stride = 1;
        for (int i = dim + 1; i < shape.length; i++) {
            stride *= (int) shape[i];
        }
        Object[] items = new Object[n];
        for (int i = 0; i < n; i++) {
            items[i] = nested(t, shape, dim + 1, offset + i * stride, element);
        }
        return new GenericArrayData(items);
    }

    private static GenericArrayData leaf(Tensor t, int from, int n, LogicalType element) {
        LogicalTypeRoot r = element.getTypeRoot();
        switch (r) {
            case FLOAT: {
                float[] out = new float[n];
                System.arraycopy(t.floats(), from, out, 0, n);
                return new GenericArrayData(out);
            }
            case DOUBLE: {
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = ((Number) element(t, from + i, element)).doubleValue();
                }
                return new GenericArrayData(out);
            }
            case BIGINT: {
                long[] out = new long[n];
                System.arraycopy(t.longs(), from, out, 0, n);
                return new GenericArrayData(out);
            }
            case INTEGER: {
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (int) t.longs()[from + i];
                }
                return new GenericArrayData(out);
            }
            case BOOLEAN: {
                boolean[] out = new boolean[n];
                System.arraycopy(t.bools(), from, out, 0, n);
                return new GenericArrayData(out);
            }
            default: {
                Object[] out = new Object[n];
                for (int i = 0; i < n; i++) {
                    out[i] = element(t, from + i, element);
                }
                return new GenericArrayData(out);
            }
        }
    }

    private static Object element(Tensor t, int i, LogicalType element) {
        switch (element.getTypeRoot()) {
            case BOOLEAN:
                return t.bools()[i];
            case TINYINT:
                return (byte) t.longs()[i];
            case SMALLINT:
                return (short) t.longs()[i];
            case INTEGER:
                return (int) t.longs()[i];
            case BIGINT:
                return t.longs()[i];
            case FLOAT:
                return t.floats()[i];
            case DOUBLE:
                return t.data() instanceof float[] f ? (double) f[i] : t.doubles()[i];
            case CHAR:
            case VARCHAR:
                return StringData.fromString(t.strings()[i]);
            default:
                throw new IllegalStateException("unbound SQL type " + element);
        }
    }
}
