package io.streaminfer.runtime;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.internal.TextRows;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link PreparedRequest} as compact bytes, so that a request parsed and prepared once travels through a job's
 * shuffles and checkpoints without being parsed again: token ids as variable-length integers (1 to 3 bytes for
 * vocabularies up to 2 million), tensors in their raw little-endian form ({@link TensorsCodec}). A text request's
 * text is not in it, only its tokens.
 *
 * <pre>{@code
 * byte[] compact = PreparedRequestCodec.encode(prepared);
 * PreparedRequest again = PreparedRequestCodec.decode(compact);
 * }</pre>
 */
public final class PreparedRequestCodec {
    private static final int VERSION = 1;
    private static final int NO_PAYLOAD = 0;
    private static final int TEXT = 1;
    private static final int TENSORS = 2;

    private PreparedRequestCodec() {}

    public static byte[] encode(PreparedRequest p) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (int) Math.min(1 << 20, p.realCost() * 2));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeUTF(p.modelKey());
            writeNullable(out, p.id());
            List<RequestedOutput> outputs = p.request().outputs();
            varint(out, outputs.size());
            for (RequestedOutput o : outputs) {
                out.writeUTF(o.name());
            }
            varint(out, p.rows());
            varint(out, p.maxRowCost());
            varlong(out, p.realCost());
            varlong(out, p.bytes());
            Object payload = p.payload();
            if (payload == null) {
                out.writeByte(NO_PAYLOAD);
            } else if (payload instanceof TextRows rows) {
                out.writeByte(TEXT);
                writeText(out, rows);
            } else if (payload instanceof InferenceRequest r) {
                out.writeByte(TENSORS);
                writeTensors(out, r.inputs());
            } else {
                throw new IllegalArgumentException("no encoding for a payload of " + payload.getClass());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        }
        return bytes.toByteArray();
    }

    public static PreparedRequest decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("prepared request of encoding version " + version + "; this "
                        + "build reads " + VERSION);
            }
            String modelKey = in.readUTF();
            String id = readNullable(in);
            int outputCount = varint(in);
            List<RequestedOutput> outputs = new ArrayList<>(outputCount);
            for (int i = 0; i < outputCount; i++) {
                outputs.add(new RequestedOutput(in.readUTF(), null));
            }
            int rows = varint(in);
            int maxRowCost = varint(in);
            long realCost = varlong(in);
            long bytes = varlong(in);
            int kind = in.readUnsignedByte();
            InferenceRequest request;
            Object payload;
            switch (kind) {
                case NO_PAYLOAD:
                    request = new InferenceRequest(id, null, List.of(), outputs);
                    payload = null;
                    break;
                case TEXT:
                    request = new InferenceRequest(id, null, List.of(), outputs);
                    payload = readText(in);
                    break;
                case TENSORS:
                    request = new InferenceRequest(id, null, readTensors(in), outputs);
                    payload = request;
                    break;
                default:
                    throw new IllegalArgumentException("unknown payload kind " + kind);
            }
            return new PreparedRequest(modelKey, request, rows, maxRowCost, realCost, bytes, payload);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated prepared request: " + e.getMessage(), e);
        }
    }

    private static void writeText(DataOutputStream out, TextRows rows) throws IOException {
        varint(out, rows.ids().length);
        for (int r = 0; r < rows.ids().length; r++) {
            writeIds(out, rows.ids()[r]);
            long[] types = rows.typeIds() == null ? null : rows.typeIds()[r];
            out.writeBoolean(types != null);
            if (types != null) {
                writeIds(out, types);
            }
        }
    }

    private static TextRows readText(DataInputStream in) throws IOException {
        int n = varint(in);
        long[][] ids = new long[n][];
        long[][] types = null;
        for (int r = 0; r < n; r++) {
            ids[r] = readIds(in);
            if (in.readBoolean()) {
                if (types == null) {
                    types = new long[n][];
                }
                types[r] = readIds(in);
            }
        }
        return new TextRows(ids, types);
    }

    private static void writeIds(DataOutputStream out, long[] ids) throws IOException {
        varint(out, ids.length);
        for (long id : ids) {
            varlong(out, id);
        }
    }

    private static long[] readIds(DataInputStream in) throws IOException {
        long[] ids = new long[varint(in)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = varlong(in);
        }
        return ids;
    }

    private static void writeTensors(DataOutputStream out, List<Tensor> tensors) throws IOException {
        TensorsCodec.write(out, tensors);
    }

    private static List<Tensor> readTensors(DataInputStream in) throws IOException {
        return TensorsCodec.read(in);
    }

    private static void writeNullable(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    private static void varint(DataOutputStream out, int v) throws IOException {
        varlong(out, v & 0xFFFFFFFFL);
    }

    private static int varint(DataInputStream in) throws IOException {
        return (int) varlong(in);
    }

    private static void varlong(DataOutputStream out, long v) throws IOException {
        TensorsCodec.Varints.write(out, v);
    }

    private static long varlong(DataInputStream in) throws IOException {
        return TensorsCodec.Varints.read(in);
    }
}
