package io.streaminfer.runtime;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.TensorBytes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Named tensors as compact bytes: name, datatype, shape, then the raw little-endian elements ({@link TensorBytes}),
 * never JSON. What {@link PreparedRequestCodec} writes for tensor inputs, and what a graph request carries between
 * its steps.
 *
 * <pre>{@code
 * byte[] bytes = TensorsCodec.encode(List.of(tensor));
 * List<Tensor> again = TensorsCodec.decode(bytes);
 * }</pre>
 */
public final class TensorsCodec {
    private static final Datatype[] DATATYPES = Datatype.values();

    private TensorsCodec() {}

    public static byte[] encode(List<Tensor> tensors) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(out, tensors);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException when the bytes are not what {@link #encode} wrote */
    public static List<Tensor> decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            return read(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated tensors: " + e.getMessage(), e);
        }
    }

    static void write(DataOutputStream out, List<Tensor> tensors) throws IOException {
        Varints.write(out, tensors.size());
        for (Tensor t : tensors) {
            out.writeUTF(t.name());
            out.writeByte(t.datatype().ordinal());
            long[] shape = t.shape();
            Varints.write(out, shape.length);
            for (long d : shape) {
                Varints.write(out, d);
            }
            byte[] raw = TensorBytes.encode(t);
            Varints.write(out, raw.length);
            out.write(raw);
        }
    }

    static List<Tensor> read(DataInputStream in) throws IOException {
        int n = (int) Varints.read(in);
        List<Tensor> tensors = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            Datatype datatype = DATATYPES[in.readUnsignedByte()];
            long[] shape = new long[(int) Varints.read(in)];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = Varints.read(in);
            }
            byte[] raw = new byte[(int) Varints.read(in)];
            in.readFully(raw);
            Object data = TensorBytes.decode(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN), datatype,
                    (int) Tensor.elementCount(shape), "tensor '" + name + "'");
            tensors.add(new Tensor(name, datatype, shape, data));
        }
        return tensors;
    }

    /** Unsigned LEB128: 7 bits per byte, the high bit set while more follow. */
    static final class Varints {
        private Varints() {}

        static void write(DataOutputStream out, long v) throws IOException {
            while ((v & ~0x7FL) != 0) {
                out.writeByte((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.writeByte((int) v);
        }

        static long read(DataInputStream in) throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = in.readUnsignedByte();
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IOException("malformed variable-length integer");
        }
    }
}
