package io.streaminfer.flink.sql.internal;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * Turns one SQL row of model features into a one-row OIP request: each INPUT column becomes its tensor with shape
 * {@code [1, ...]}. A value the tensor cannot take (null, an integer out of the datatype's range, a ragged or
 * wrong-sized array) fails that row alone with INVALID_INPUT naming the column.
 */
public final class RowEncoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final RowBindings bindings;
    /** The outputs asked for: those the query reads. Made where the function runs (RequestedOutput is no Serializable). */
    private transient List<RequestedOutput> outputs;

    public RowEncoder(RowBindings bindings) {
        this.bindings = bindings;
    }

    /** @throws InferenceException INVALID_INPUT naming the column at fault */
    public InferenceRequest encode(String rowId, RowData features) {
        if (outputs == null) {
            List<RequestedOutput> o = new ArrayList<>();
            for (String name : bindings.outputNames()) {
                o.add(new RequestedOutput(name, null));
            }
            outputs = o;
        }
        List<Tensor> inputs = new ArrayList<>(bindings.inputs().size());
        for (ColumnBinding b : bindings.inputs()) {
            inputs.add(tensor(b, features));
        }
        return new InferenceRequest(rowId, null, inputs, outputs);
    }

    private static Tensor tensor(ColumnBinding b, RowData row) {
        TensorDecl t = b.tensor();
        if (row.isNullAt(b.position())) {
            throw InferenceException.invalidInput("INPUT column '" + b.column() + "' is null; the model's input "
                    + t + " needs a value in every row (filter nulls out, or COALESCE them)");
        }
        Values values = new Values(t.datatype(), b.column());
        List<Long> dims = new ArrayList<>();
        dims.add(1L);
        Object value = RowData.createFieldGetter(b.type(), b.position()).getFieldOrNull(row);
        collect(value, b.type(), 0, dims, values, b);
        long[] shape;
        if (b.flat()) {
            if (values.size != t.rowElements()) {
                throw InferenceException.invalidInput("INPUT column '" + b.column() + "' holds " + values.size
                        + " elements; the model's input " + t + " takes " + t.rowElements() + " per row");
            }
            shape = t.shape();
            shape[0] = 1;
        } else {
            shape = dims.stream().mapToLong(Long::longValue).toArray();
            for (int i = 1; i < shape.length; i++) {
                if (t.shape()[i] >= 0 && t.shape()[i] != shape[i]) {
                    throw InferenceException.invalidInput("INPUT column '" + b.column() + "' has "
                            + shape[i] + " elements at depth " + i + "; the model's input " + t + " takes "
                            + t.shape()[i]);
                }
            }
        }
        return new Tensor(t.name(), t.datatype(), shape, values.array());
    }

    private static void collect(Object value, LogicalType type, int depth, List<Long> dims, Values out,
            ColumnBinding b) {
        if (!(type instanceof ArrayType at)) {
            out.add(value);
            return;
        }
        ArrayData a = (ArrayData) value;
        int n = a.size();
        if (dims.size() <= depth + 1) {
            dims.add((long) n);
        } else if (dims.get(depth + 1) != n) {
            throw InferenceException.invalidInput("INPUT column '" + b.column() + "' is ragged: arrays at depth "
                    + (depth + 1) + " have " + dims.get(depth + 1) + " and " + n + " elements; a tensor's rows must "
                    + "all be of one length");
        }
        ArrayData.ElementGetter getter = ArrayData.createElementGetter(at.getElementType());
        for (int i = 0; i < n; i++) {
            if (a.isNullAt(i)) {
                throw InferenceException.invalidInput("INPUT column '" + b.column() + "' has a null element (at "
                        + "depth " + (depth + 1) + ", index " + i + "); tensors have no nulls");
            }
            collect(getter.getElementOrNull(a, i), at.getElementType(), depth + 1, dims, out, b);
        }
    }

    /** A growing flat array of the tensor's storage type. */
    private static final class Values {
        private final Datatype datatype;
        private final String column;
        private Object data;
        private int size;

        Values(Datatype datatype, String column) {
            this.datatype = datatype;
            this.column = column;
            this.data = java.lang.reflect.Array.newInstance(Tensor.arrayClass(datatype).getComponentType(), 16);
        }

        void add(Object v) {
            if (size == java.lang.reflect.Array.getLength(data)) {
                data = grow(data, size * 2);
            }
            switch (datatype.storage()) {
                case BOOL:
                    ((boolean[]) data)[size] = (Boolean) v;
                    break;
                case LONG:
                    long l = ((Number) v).longValue();
                    if (!datatype.fits(l)) {
                        throw InferenceException.invalidInput("INPUT column '" + column + "' holds " + l
                                + ", out of the range of " + datatype + " [" + datatype.min() + ", " + datatype.max()
                                + "]");
                    }
                    ((long[]) data)[size] = l;
                    break;
                case FLOAT:
                    ((float[]) data)[size] = (Float) v;
                    break;
                case DOUBLE:
                    ((double[]) data)[size] = ((Number) v).doubleValue();
                    break;
                case STRING:
                    ((String[]) data)[size] = ((StringData) v).toString();
                    break;
                default:
                    throw new AssertionError(datatype);
            }
            size++;
        }

        Object array() {
            return grow(data, size);
        }

        private static Object grow(Object array, int length) {
            if (array instanceof boolean[] a) {
                return Arrays.copyOf(a, length);
            } else if (array instanceof long[] a) {
                return Arrays.copyOf(a, length);
            } else if (array instanceof float[] a) {
                return Arrays.copyOf(a, length);
            } else if (array instanceof double[] a) {
                return Arrays.copyOf(a, length);
            }
            return Arrays.copyOf((String[]) array, length);
        }
    }
}
