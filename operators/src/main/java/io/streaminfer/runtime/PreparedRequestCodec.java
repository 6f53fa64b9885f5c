package io.streaminfer.runtime;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.generation.SamplingParams;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.internal.TextRows;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
    private static final int GENERATION = 3;

    private PreparedRequestCodec() {}

    public static byte[] encode(PreparedRequest p) {
        // Written into the array itself, not through a DataOutputStream over a ByteArrayOutputStream: this runs once
        // per request on the parse thread, and that stream's synchronized write per byte of each token id showed in
        // its profile. The bytes are the same.
        Out out = new Out(64 + (int) Math.min(1 << 20, p.realCost() * 2));
        try {
            out.u8(VERSION);
            out.utf(p.modelKey());
            out.u8(p.id() != null ? 1 : 0);
            if (p.id() != null) {
                out.utf(p.id());
            }
            List<RequestedOutput> outputs = p.request().outputs();
            out.varint(outputs.size());
            for (RequestedOutput o : outputs) {
                out.utf(o.name());
            }
            out.varint(p.rows());
            out.varint(p.maxRowCost());
            out.varlong(p.realCost());
            out.varlong(p.bytes());
            Object payload = p.payload();
            if (payload == null) {
                out.u8(NO_PAYLOAD);
            } else if (payload instanceof TextRows rows) {
                out.u8(TEXT);
                writeText(out, rows);
            } else if (payload instanceof GenerationPrompt g) {
                out.u8(GENERATION);
                writeGeneration(out, g);
            } else if (payload instanceof InferenceRequest r) {
                out.u8(TENSORS);
                TensorsCodec.write(new DataOutputStream(out.stream()), r.inputs());
            } else {
                throw new IllegalArgumentException("no encoding for a payload of " + payload.getClass());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: only a string too long for writeUTF's 64 KB
        }
        return out.toByteArray();
    }

    public static PreparedRequest decode(byte[] data) {
        // Read from the array itself, not through a DataInputStream: this runs once per request on the job's busiest
        // thread, where the stream's per-byte virtual calls and readUTF's char buffer showed in profiles.
        Cursor in = new Cursor(data);
        try {
            int version = in.u8();
            if (version != VERSION) {
                throw new IllegalArgumentException("prepared request of encoding version " + version + "; this "
                        + "build reads " + VERSION);
            }
            String modelKey = in.utf(true);
            String id = in.u8() != 0 ? in.utf(false) : null; // unique: not worth keeping
            int outputCount = in.varint();
            List<RequestedOutput> outputs = new ArrayList<>(outputCount);
            for (int i = 0; i < outputCount; i++) {
                outputs.add(new RequestedOutput(in.utf(true), null));
            }
            int rows = in.varint();
            int maxRowCost = in.varint();
            long realCost = in.varlong();
            long bytes = in.varlong();
            int kind = in.u8();
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
                    request = new InferenceRequest(id, null, TensorsCodec.read(in.rest()), outputs);
                    payload = request;
                    break;
                case GENERATION:
                    request = new InferenceRequest(id, null, List.of(), outputs);
                    payload = readGeneration(in);
                    break;
                default:
                    throw new IllegalArgumentException("unknown payload kind " + kind);
            }
            return new PreparedRequest(modelKey, request, rows, maxRowCost, realCost, bytes, payload);
        } catch (IOException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated prepared request: " + e.getMessage(), e);
        }
    }

    private static void writeText(Out out, TextRows rows) {
        out.varint(rows.ids().length);
        for (int r = 0; r < rows.ids().length; r++) {
            writeIds(out, rows.ids()[r]);
            long[] types = rows.typeIds() == null ? null : rows.typeIds()[r];
            out.u8(types != null ? 1 : 0);
            if (types != null) {
                writeIds(out, types);
            }
        }
    }

    private static TextRows readText(Cursor in) throws IOException {
        int n = in.varint();
        long[][] ids = new long[n][];
        long[][] types = null;
        for (int r = 0; r < n; r++) {
            ids[r] = readIds(in);
            if (in.u8() != 0) {
                if (types == null) {
                    types = new long[n][];
                }
                types[r] = readIds(in);
            }
        }
        return new TextRows(ids, types);
    }

    private static void writeGeneration(Out out, GenerationPrompt g) throws IOException {
        int[] tokens = g.tokens();
        out.varint(tokens.length);
        out.room(5L * tokens.length);
        for (int t : tokens) {
            out.varint(t);
        }
        SamplingParams p = g.params();
        out.varint(p.maxTokens());
        out.varlong(Double.doubleToLongBits(p.temperature()));
        out.varlong(Double.doubleToLongBits(p.topP()));
        out.varint(p.topK());
        out.u8(p.seed().isPresent() ? 1 : 0);
        if (p.seed().isPresent()) {
            out.varlong(p.seed().getAsLong());
        }
        out.varint(p.minTokens());
        out.u8((p.ignoreEos() ? 1 : 0) | (g.stream() ? 2 : 0));
        out.varint(p.stop().size());
        for (String stop : p.stop()) {
            out.utf(stop);
        }
    }

    private static GenerationPrompt readGeneration(Cursor in) throws IOException {
        int[] tokens = new int[in.varint()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = in.varint();
        }
        SamplingParams.Builder p = SamplingParams.builder()
                .maxTokens(in.varint())
                .temperature(Double.longBitsToDouble(in.varlong()))
                .topP(Double.longBitsToDouble(in.varlong()))
                .topK(in.varint());
        if (in.u8() != 0) {
            p.seed(in.varlong());
        }
        p.minTokens(in.varint());
        int flags = in.u8();
        p.ignoreEos((flags & 1) != 0);
        int stops = in.varint();
        List<String> stop = new ArrayList<>(stops);
        for (int i = 0; i < stops; i++) {
            stop.add(in.utf(false));
        }
        return new GenerationPrompt(tokens, p.stop(stop).build(), (flags & 2) != 0);
    }

    private static void writeIds(Out out, long[] ids) {
        out.varint(ids.length);
        out.room(10L * ids.length);
        for (long id : ids) {
            out.varlong(id);
        }
    }

    private static long[] readIds(Cursor in) throws IOException {
        long[] ids = new long[in.varint()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = in.varlong();
        }
        return ids;
    }

    /** What {@code encode} writes into: a growing array, in the byte layout of {@code DataOutputStream}. */
    private static final class Out {
        private byte[] buf;
        private int len;

        Out(int capacity) {
            buf = new byte[Math.max(32, capacity)];
        }

        void room(long more) {
            if (len + more > buf.length) {
                buf = java.util.Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8,
                        Math.max(2L * buf.length, len + more)));
            }
        }

        void u8(int b) {
            room(1);
            buf[len++] = (byte) b;
        }

        /** Unsigned, as {@code TensorsCodec.Varints} writes it; ints as their 32 unsigned bits. */
        void varint(int v) {
            varlong(v & 0xFFFFFFFFL);
        }

        void varlong(long v) {
            room(10);
            while ((v & ~0x7FL) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
        }

        /** As {@code DataOutputStream.writeUTF}: a 2-byte length, then modified UTF-8 (where NUL takes 2 bytes). */
        void utf(String s) throws IOException {
            int n = s.length();
            boolean plain = n <= 0xFFFF;
            for (int i = 0; i < n && plain; i++) {
                char c = s.charAt(i);
                plain = c != 0 && c < 0x80;
            }
            if (!plain) {
                new DataOutputStream(stream()).writeUTF(s); // the JDK's encoder, and its 64 KB limit
                return;
            }
            room(2 + n);
            buf[len++] = (byte) (n >>> 8);
            buf[len++] = (byte) n;
            for (int i = 0; i < n; i++) {
                buf[len++] = (byte) s.charAt(i);
            }
        }

        /** A stream that appends here, for writers of the stream form (tensors). */
        java.io.OutputStream stream() {
            return new java.io.OutputStream() {
                @Override
                public void write(int b) {
                    u8(b);
                }

                @Override
                public void write(byte[] b, int off, int n) {
                    room(n);
                    System.arraycopy(b, off, buf, len, n);
                    len += n;
                }
            };
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, len);
        }
    }

    /** What {@code decode} reads with: a position in the encoded array; past its end is an IndexOutOfBounds. */
    private static final class Cursor {
        private final byte[] data;
        private int pos;

        Cursor(byte[] data) {
            this.data = data;
        }

        int u8() {
            return data[pos++] & 0xFF;
        }

        long varlong() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = data[pos++];
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw new IOException("malformed variable-length integer");
        }

        int varint() throws IOException {
            return (int) varlong();
        }

        /**
         * What {@code DataOutputStream.writeUTF} wrote: a 2-byte length, then modified UTF-8; {@code repeated}: a
         * string many requests share, worth looking up in {@link Strings}.
         */
        String utf(boolean repeated) throws IOException {
            int length = ((data[pos] & 0xFF) << 8) | (data[pos + 1] & 0xFF);
            int start = pos + 2;
            java.util.Objects.checkFromIndexSize(start, length, data.length);
            for (int i = start; i < start + length; i++) {
                if (data[i] < 0) { // beyond ASCII: the JDK's decoder of modified UTF-8
                    String s = new DataInputStream(new java.io.ByteArrayInputStream(data, pos, length + 2)).readUTF();
                    pos = start + length;
                    return s;
                }
            }
            pos = start + length;
            return repeated ? Strings.ascii(data, start, length)
                    : new String(data, start, length, StandardCharsets.ISO_8859_1);
        }

        /** The bytes not read yet, for readers of the stream form. */
        DataInputStream rest() {
            return new DataInputStream(new java.io.ByteArrayInputStream(data, pos, data.length - pos));
        }
    }

    /**
     * The few strings every request repeats (its model version's key, its output names), kept so that decoding one
     * does not allocate it again and its hash, cached in the instance, serves the map lookups that follow.
     */
    private static final class Strings {
        private static final String[] RECENT = new String[64];

        static String ascii(byte[] data, int start, int length) {
            if (length > 64) {
                return new String(data, start, length, StandardCharsets.ISO_8859_1);
            }
            int slot = (length * 31 + (length == 0 ? 0 : data[start] * 7 + data[start + length - 1])) & 63;
            String seen = RECENT[slot]; // racy on purpose: a String is immutable, a lost update only costs a miss
            if (seen != null && seen.length() == length && same(seen, data, start)) {
                return seen;
            }
            String s = new String(data, start, length, StandardCharsets.ISO_8859_1);
            RECENT[slot] = s;
            return s;
        }

        private static boolean same(String s, byte[] data, int start) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) != data[start + i]) {
                    return false;
                }
            }
            return true;
        }
    }
}
