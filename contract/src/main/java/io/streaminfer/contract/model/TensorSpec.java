package io.streaminfer.contract.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.streaminfer.contract.Datatype;
import java.util.Arrays;
import java.util.Objects;

/**
 * A declared model input or output: name, datatype and shape, where {@code -1} is a variable dimension. The first
 * dimension is the batch dimension and is always variable.
 */
public final class TensorSpec {
    private final String name;
    private final Datatype datatype;
    private final long[] shape;

    @JsonCreator
    public TensorSpec(@JsonProperty("name") String name, @JsonProperty("datatype") String datatype,
            @JsonProperty("shape") long[] shape) {
        this(name, datatype == null ? null : Datatype.parse(datatype), shape);
    }

    public TensorSpec(String name, Datatype datatype, long[] shape) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a tensor spec needs a 'name'");
        }
        this.name = name;
        this.datatype = Objects.requireNonNull(datatype, () -> "tensor '" + name + "' needs a 'datatype'");
        if (shape == null || shape.length == 0) {
            throw new IllegalArgumentException("tensor '" + name + "' needs a 'shape' whose first dimension is the "
                    + "batch dimension, -1 (e.g. [-1] or [-1, 384])");
        }
        if (shape[0] != -1) {
            throw new IllegalArgumentException("tensor '" + name + "': the first dimension of 'shape' is the batch "
                    + "dimension and must be -1, got " + Arrays.toString(shape));
        }
        for (long d : shape) {
            if (d < -1 || d == 0) {
                throw new IllegalArgumentException("tensor '" + name + "': shape dimensions must be positive or -1, "
                        + "got " + Arrays.toString(shape));
            }
        }
        this.shape = shape.clone();
    }

    @JsonProperty("name")
    public String name() {
        return name;
    }

    @JsonProperty("datatype")
    public Datatype datatype() {
        return datatype;
    }

    @JsonProperty("shape")
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    @Override
    public String toString() {
        return name + " " + datatype + " " + Arrays.toString(shape);
    }
}
