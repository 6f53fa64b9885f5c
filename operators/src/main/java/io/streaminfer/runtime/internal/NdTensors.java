package io.streaminfer.runtime.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.streaminfer.contract.Datatype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Moves OIP tensor data between Java arrays and NDArrays. libtorch has no unsigned types wider than 8 bits, so
 * UINT16 travels as INT32 and UINT32/UINT64 as INT64 (values are range-checked when parsed, so nothing wraps).
 */
final class NdTensors {
    private NdTensors() {}

    /** The dtype a model sees for an OIP datatype. */
    static DataType torchType(Datatype d) {
        switch (d) {
            case BOOL:
                return DataType.BOOLEAN;
            case UINT8:
                return DataType.UINT8;
            case INT8:
                return DataType.INT8;
            case INT16:
                return DataType.INT16;
            case UINT16:
            case INT32:
                return DataType.INT32;
            case UINT32:
            case UINT64:
            case INT64:
                return DataType.INT64;
            case FP16:
                return DataType.FLOAT16;
            case FP32:
                return DataType.FLOAT32;
            case FP64:
                return DataType.FLOAT64;
            default:
                throw new IllegalArgumentException(d + " cannot be a tensor-model input");
        }
    }

    /** Creates an NDArray from flattened data held as {@link Datatype#storage()} says. */
    static NDArray create(NDManager manager, Datatype d, long[] shape, Object data) {
        Shape s = new Shape(shape);
        switch (d) {
            case BOOL:
                return manager.create((boolean[]) data, s);
            case FP32:
                return manager.create((float[]) data, s);
            case FP16:
                return manager.create((float[]) data, s).toType(DataType.FLOAT16, false);
            case FP64:
                return manager.create((double[]) data, s);
            case INT64:
            case UINT32:
            case UINT64:
                return manager.create((long[]) data, s);
            case INT32:
            case UINT16:
                return manager.create(narrowToInt((long[]) data), s);
            case INT16:
                return manager.create(narrowToInt((long[]) data), s).toType(DataType.INT16, false);
            case INT8:
            case UINT8: {
                long[] v = (long[]) data;
                ByteBuffer buf = ByteBuffer.allocateDirect(v.length).order(ByteOrder.nativeOrder());
                for (long x : v) {
                    buf.put((byte) x);
                }
                buf.rewind();
                return manager.create(buf, s, torchType(d));
            }
            default:
                throw new IllegalArgumentException(d + " cannot be a tensor-model input");
        }
    }

    /** Reads an NDArray as the Java array that holds {@code d}, converting its dtype where they differ. */
    static Object read(NDArray array, Datatype d) {
        switch (d.storage()) {
            case BOOL:
                return array.toType(DataType.BOOLEAN, false).toBooleanArray();
            case LONG:
                return array.toType(DataType.INT64, false).toLongArray();
            case FLOAT:
                return array.toType(DataType.FLOAT32, false).toFloatArray();
            case DOUBLE:
                return array.toType(DataType.FLOAT64, false).toDoubleArray();
            default:
                throw new IllegalArgumentException(d + " cannot be a tensor-model output");
        }
    }

    private static int[] narrowToInt(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return out;
    }
}
