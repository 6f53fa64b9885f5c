package io.streaminfer.contract;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Tensor elements in their raw form, as the binary tensor extension (HTTP, Kafka) and gRPC's
 * {@code raw_input_contents}/{@code raw_output_contents} carry them: little-endian, row-major, no padding; BOOL one
 * byte (0 or 1), FP16 IEEE half precision, BYTES each element as a 4-byte little-endian length and its bytes.
 *
 * <pre>{@code
 * byte[] raw = TensorBytes.encode(tensor);
 * Object data = TensorBytes.decode(ByteBuffer.wrap(raw), Datatype.FP32, 150_528, "input 'pixels'");
 * }</pre>
 */
public final class TensorBytes {
    private TensorBytes() {}

    /** Bytes per element; -1 for BYTES, whose elements vary in size. */
    public static int elementSize(Datatype d) {
        switch (d) {
            case BOOL:
            case UINT8:
            case INT8:
                return 1;
            case UINT16:
            case INT16:
            case FP16:
                return 2;
            case UINT32:
            case INT32:
            case FP32:
                return 4;
            case UINT64:
            case INT64:
            case FP64:
                return 8;
            case BYTES:
                return -1;
            default:
                throw new AssertionError(d);
        }
    }

    /** The raw size of a tensor's elements. */
    public static long byteSize(Tensor t) {
        int size = elementSize(t.datatype());
        if (size > 0) {
            return (long) size * t.length();
        }
        long n = 0;
        for (String s : t.strings()) {
            n += 4 + s.getBytes(StandardCharsets.UTF_8).length;
        }
        return n;
    }

    public static byte[] encode(Tensor t) {
        long size = byteSize(t);
        if (size > Integer.MAX_VALUE - 8) {
            throw new InferenceException(ErrorCode.PAYLOAD_TOO_LARGE, "tensor '" + t.name() + "' has " + size
                    + " bytes of data, more than one message can hold");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        encode(t, out);
        return out.array();
    }

    /** Writes a tensor's elements at the buffer's position; the buffer must be little-endian. */
    public static void encode(Tensor t, ByteBuffer out) {
        Datatype d = t.datatype();
        switch (d.storage()) {
            case BOOL:
                for (boolean b : t.bools()) {
                    out.put((byte) (b ? 1 : 0));
                }
                break;
            case LONG:
                long[] longs = t.longs();
                switch (elementSize(d)) {
                    case 1:
                        for (long v : longs) {
                            out.put((byte) v);
                        }
                        break;
                    case 2:
                        for (long v : longs) {
                            out.putShort((short) v);
                        }
                        break;
                    case 4:
                        for (long v : longs) {
                            out.putInt((int) v);
                        }
                        break;
                    default:
                        out.asLongBuffer().put(longs);
                        out.position(out.position() + 8 * longs.length);
                        break;
                }
                break;
            case FLOAT:
                float[] floats = t.floats();
                if (d == Datatype.FP16) {
                    for (float f : floats) {
                        out.putShort(Half.fromFloat(f));
                    }
                } else {
                    out.asFloatBuffer().put(floats);
                    out.position(out.position() + 4 * floats.length);
                }
                break;
            case DOUBLE:
                double[] doubles = t.doubles();
                out.asDoubleBuffer().put(doubles);
                out.position(out.position() + 8 * doubles.length);
                break;
            case STRING:
                for (String s : t.strings()) {
                    byte[] b = s.getBytes(StandardCharsets.UTF_8);
                    out.putInt(b.length);
                    out.put(b);
                }
                break;
            default:
                throw new AssertionError(d);
        }
    }

    /**
     * Reads {@code count} elements of {@code datatype} from all of {@code in} (little-endian) into the array that
     * {@link Tensor} holds them in. The buffer must hold exactly those elements: a size that does not fit is an
     * {@link InferenceException} (INVALID_INPUT) naming {@code at}.
     */
    public static Object decode(ByteBuffer in, Datatype datatype, int count, String at) {
        ByteBuffer src = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        int size = elementSize(datatype);
        if (size > 0 && (long) size * count != src.remaining()) {
            throw InferenceException.invalidInput(at + ": " + src.remaining() + " bytes of binary data, but " + count
                    + " elements of " + datatype + " take " + ((long) size * count) + " bytes");
        }
        switch (datatype) {
            case BOOL: {
                boolean[] out = new boolean[count];
                for (int i = 0; i < count; i++) {
                    byte b = src.get();
                    if (b != 0 && b != 1) {
                        throw InferenceException.invalidInput(at + " is BOOL, so byte " + i + " must be 0 or 1, got "
                                + b);
                    }
                    out[i] = b == 1;
                }
                return out;
            }
            case UINT8:
            case INT8:
            case UINT16:
            case INT16:
            case UINT32:
            case INT32:
            case UINT64:
            case INT64:
                return integers(src, datatype, count, at);
            case FP16: {
                float[] out = new float[count];
                for (int i = 0; i < count; i++) {
                    out[i] = Half.toFloat(src.getShort());
                }
                return out;
            }
            case FP32: {
                float[] out = new float[count];
                src.asFloatBuffer().get(out);
                return out;
            }
            case FP64: {
                double[] out = new double[count];
                src.asDoubleBuffer().get(out);
                return out;
            }
            case BYTES:
                return strings(src, count, at);
            default:
                throw new AssertionError(datatype);
        }
    }

    private static long[] integers(ByteBuffer src, Datatype d, int count, String at) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            long v;
            switch (d) {
                case UINT8:
                    v = Byte.toUnsignedLong(src.get());
                    break;
                case INT8:
                    v = src.get();
                    break;
                case UINT16:
                    v = Short.toUnsignedLong(src.getShort());
                    break;
                case INT16:
                    v = src.getShort();
                    break;
                case UINT32:
                    v = Integer.toUnsignedLong(src.getInt());
                    break;
                case INT32:
                    v = src.getInt();
                    break;
                case UINT64:
                    v = src.getLong();
                    if (v < 0) {
                        throw InferenceException.invalidInput(at + ": element " + i + " = "
                                + Long.toUnsignedString(v) + " is larger than this server takes for UINT64 ("
                                + Long.MAX_VALUE + ")");
                    }
                    break;
                default:
                    v = src.getLong();
                    break;
            }
            out[i] = v;
        }
        return out;
    }

    private static String[] strings(ByteBuffer src, int count, String at) {
        String[] out = new String[count];
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < count; i++) {
            if (src.remaining() < 4) {
                throw InferenceException.invalidInput(at + " is BYTES: element " + i + " of " + count + " has no "
                        + "4-byte length (the binary data ends after " + src.position() + " bytes)");
            }
            long length = Integer.toUnsignedLong(src.getInt());
            if (length > src.remaining()) {
                throw InferenceException.invalidInput(at + " is BYTES: element " + i + " says " + length
                        + " bytes but only " + src.remaining() + " remain");
            }
            ByteBuffer element = src.slice();
            element.limit((int) length);
            src.position(src.position() + (int) length);
            try {
                CharBuffer chars = utf8.decode(element);
                out[i] = chars.toString();
            } catch (CharacterCodingException e) {
                throw InferenceException.invalidInput(at + " is BYTES: element " + i + " is not valid UTF-8 "
                        + "(this server's BYTES tensors hold text)");
            }
        }
        if (src.hasRemaining()) {
            throw InferenceException.invalidInput(at + " is BYTES: " + src.remaining() + " bytes remain after its "
                    + count + " elements");
        }
        return out;
    }

    /** IEEE 754 half precision: Java 17 has no {@code Float.float16ToFloat}. */
    static final class Half {
        private Half() {}

        static float toFloat(short bits) {
            int h = bits & 0xffff;
            int sign = (h & 0x8000) << 16;
            int exp = (h >>> 10) & 0x1f;
            int mant = h & 0x3ff;
            if (exp == 0x1f) {
                return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // Inf, NaN
            }
            if (exp == 0) {
                if (mant == 0) {
                    return Float.intBitsToFloat(sign);
                }
                float f = mant / 1024f / 16384f; // subnormal: mant * 2^-24
                return sign == 0 ? f : -f;
            }
            return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
        }

        /** Round to nearest, ties to even; out of range becomes infinity. */
        static short fromFloat(float f) {
            int bits = Float.floatToRawIntBits(f);
            int sign = (bits >>> 16) & 0x8000;
            int exp = (bits >>> 23) & 0xff;
            int mant = bits & 0x7fffff;
            if (exp == 0xff) {
                return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
            }
            int e = exp - 127 + 15;
            if (e >= 0x1f) {
                return (short) (sign | 0x7c00);
            }
            if (e <= 0) {
                if (e < -10) {
                    return (short) sign;
                }
                int m = mant | 0x800000;
                int shift = 14 - e;
                int half = m >>> shift;
                int rest = m & ((1 << shift) - 1);
                int mid = 1 << (shift - 1);
                if (rest > mid || (rest == mid && (half & 1) == 1)) {
                    half++;
                }
                return (short) (sign | half);
            }
            int half = (e << 10) | (mant >>> 13);
            int rest = mant & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
                half++; // may carry into the exponent, up to infinity: still correct
            }
            return (short) (sign | half);
        }
    }
}
