package io.streaminfer.contract;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Tensor element types of the Open Inference Protocol, with the Java array each one is held in.
 *
 * <p>Integers of every width are held in {@code long[]} and range-checked when parsed, so a model sees exactly the
 * values the caller sent; FP16 travels as {@code float[]} since Java has no half type.
 */
public enum Datatype {
    BOOL(Storage.BOOL, 0, 1),
    UINT8(Storage.LONG, 0, 255),
    UINT16(Storage.LONG, 0, 65_535),
    UINT32(Storage.LONG, 0, 4_294_967_295L),
    UINT64(Storage.LONG, 0, Long.MAX_VALUE),
    INT8(Storage.LONG, Byte.MIN_VALUE, Byte.MAX_VALUE),
    INT16(Storage.LONG, Short.MIN_VALUE, Short.MAX_VALUE),
    INT32(Storage.LONG, Integer.MIN_VALUE, Integer.MAX_VALUE),
    INT64(Storage.LONG, Long.MIN_VALUE, Long.MAX_VALUE),
    FP16(Storage.FLOAT, 0, 0),
    FP32(Storage.FLOAT, 0, 0),
    FP64(Storage.DOUBLE, 0, 0),
    BYTES(Storage.STRING, 0, 0);

    /** The Java array type that holds a tensor's flattened elements. */
    public enum Storage { BOOL, LONG, FLOAT, DOUBLE, STRING }

    private final Storage storage;
    private final long min;
    private final long max;

    Datatype(Storage storage, long min, long max) {
        this.storage = storage;
        this.min = min;
        this.max = max;
    }

    public Storage storage() {
        return storage;
    }

    /** Whether an integral value fits this (integer) type. */
    public boolean fits(long value) {
        return value >= min && value <= max;
    }

    public long min() {
        return min;
    }

    public long max() {
        return max;
    }

    /** Parses a datatype name as OIP spells it; the message lists the valid names. */
    public static Datatype parse(String name) {
        if (name != null) {
            for (Datatype d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
        }
        throw new IllegalArgumentException("unknown datatype '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
