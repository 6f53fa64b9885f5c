package io.streaminfer.contract;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A named OIP tensor: datatype, shape and its elements flattened in row-major order into the Java array that
 * {@link Datatype#storage()} names ({@code boolean[]}, {@code long[]}, {@code float[]}, {@code double[]} or
 * {@code String[]}). Used for request inputs and response outputs alike.
 *
 * <p>The constructor checks that the array type matches the datatype and that the element count equals the product
 * of the shape, so a {@code Tensor} that exists is consistent.
 */
public final class Tensor {
    private final String name;
    private final Datatype datatype;
    private final long[] shape;
    private final Object data;
    private final Map<String, Object> parameters;

    public Tensor(String name, Datatype datatype, long[] shape, Object data, Map<String, Object> parameters) {
        this.name = Objects.requireNonNull(name, "name");
        this.datatype = Objects.requireNonNull(datatype, "datatype");
        this.shape = Objects.requireNonNull(shape, "shape").clone();
        this.data = Objects.requireNonNull(data, "data");
        this.parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        Class<?> expected = arrayClass(datatype);
        if (data.getClass() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' of datatype " + datatype + " must hold "
                    + expected.getSimpleName() + ", not " + data.getClass().getSimpleName());
        }
        long expectedCount = elementCount(shape);
        if (expectedCount != length()) {
            throw InferenceException.invalidInput("tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + " (" + expectedCount + " elements) but its data holds " + length() + " elements");
        }
    }

    public Tensor(String name, Datatype datatype, long[] shape, Object data) {
        this(name, datatype, shape, data, null);
    }

    public static Tensor ofStrings(String name, String... values) {
        return new Tensor(name, Datatype.BYTES, new long[] {values.length}, values.clone());
    }

    public static Tensor ofFloats(String name, long[] shape, float[] values) {
        return new Tensor(name, Datatype.FP32, shape, values);
    }

    public String name() {
        return name;
    }

    public Datatype datatype() {
        return datatype;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    /** The first dimension: the number of rows this tensor contributes to a batch (1 for a scalar). */
    public long rows() {
        return shape.length == 0 ? 1 : shape[0];
    }

    public Map<String, Object> parameters() {
        return parameters;
    }

    /** The flattened elements; callers must not modify the array. */
    public Object data() {
        return data;
    }

    public float[] floats() {
        return (float[]) data;
    }

    public double[] doubles() {
        return (double[]) data;
    }

    public long[] longs() {
        return (long[]) data;
    }

    public boolean[] bools() {
        return (boolean[]) data;
    }

    public String[] strings() {
        return (String[]) data;
    }

    /** Number of elements held. */
    public int length() {
        return java.lang.reflect.Array.getLength(data);
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public static Class<?> arrayClass(Datatype datatype) {
        switch (datatype.storage()) {
            case BOOL:
                return boolean[].class;
            case LONG:
                return long[].class;
            case FLOAT:
                return float[].class;
            case DOUBLE:
                return double[].class;
            case STRING:
                return String[].class;
            default:
                throw new AssertionError(datatype);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Tensor)) {
            return false;
        }
        Tensor t = (Tensor) o;
        return name.equals(t.name) && datatype == t.datatype && Arrays.equals(shape, t.shape)
                && Objects.deepEquals(data, t.data) && parameters.equals(t.parameters);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, datatype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return "Tensor{" + name + ", " + datatype + ", " + Arrays.toString(shape) + "}";
    }
}
