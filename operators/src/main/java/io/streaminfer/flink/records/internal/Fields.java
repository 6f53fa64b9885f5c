package io.streaminfer.flink.records.internal;

import java.io.IOException;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/** The wire forms the records' serializers share: nullable strings, byte arrays, string arrays and enums. */
final class Fields {
    private Fields() {}

    /** Null-safe (Flink's string encoding has a null marker). */
    static void writeString(String s, DataOutputView out) throws IOException {
        StringValue.writeString(s, out);
    }

    static String readString(DataInputView in) throws IOException {
        return StringValue.readString(in);
    }

    static void writeBytes(byte[] b, DataOutputView out) throws IOException {
        if (b == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(b.length);
        out.write(b);
    }

    static byte[] readBytes(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    static void writeStrings(String[] a, DataOutputView out) throws IOException {
        if (a == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(a.length);
        for (String s : a) {
            writeString(s, out);
        }
    }

    static String[] readStrings(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        String[] a = new String[n];
        for (int i = 0; i < n; i++) {
            a[i] = readString(in);
        }
        return a;
    }

    /** By name, not ordinal: a constant added or moved later must not change what restored state means. */
    static void writeEnum(Enum<?> e, DataOutputView out) throws IOException {
        writeString(e == null ? null : e.name(), out);
    }

    static <E extends Enum<E>> E readEnum(Class<E> type, DataInputView in) throws IOException {
        String name = readString(in);
        return name == null ? null : Enum.valueOf(type, name);
    }
}
