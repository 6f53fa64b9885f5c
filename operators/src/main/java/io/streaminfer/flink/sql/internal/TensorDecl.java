package io.streaminfer.flink.sql.internal;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.model.TensorSpec;
import java.io.Serializable;
import java.util.Arrays;

/**
 * A model input or output as the SQL provider sees it: name, datatype, shape ({@code -1} variable; the first
 * dimension is the batch). A serializable copy of a {@link TensorSpec}, so that it travels with the predict function.
 */
public record TensorDecl(String name, Datatype datatype, long[] shape) implements Serializable {
    public static TensorDecl of(TensorSpec spec) {
        return new TensorDecl(spec.name(), spec.datatype(), spec.shape());
    }

    public int rank() {
        return shape.length;
    }

    /** Whether every dimension after the batch one is fixed. */
    public boolean innerDimsFixed() {
        for (int i = 1; i < shape.length; i++) {
            if (shape[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** Elements of one row when {@link #innerDimsFixed()}. */
    public long rowElements() {
        long n = 1;
        for (int i = 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + datatype + " " + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorDecl t && t.name.equals(name) && t.datatype == datatype
                && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
