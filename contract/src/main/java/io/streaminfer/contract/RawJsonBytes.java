package io.streaminfer.contract;

import com.fasterxml.jackson.core.SerializableString;
import java.io.OutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * JSON text we wrote ourselves, ASCII, handed to a Jackson generator as it is ({@code writeRawValue}/{@code
 * writeRaw}): as bytes, which the generator copies into its buffer, where raw chars would be encoded one by one
 * (a third of a 384-float response's time). Never quoted; the bytes are read at the call, so one buffer serves for
 * every chunk.
 */
final class RawJsonBytes implements SerializableString {
    private final byte[] bytes;
    private int length;

    RawJsonBytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The first {@code length} bytes of the buffer are the text now. */
    RawJsonBytes length(int length) {
        this.length = length;
        return this;
    }

    @Override
    public String getValue() {
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    }

    @Override
    public int charLength() {
        return length;
    }

    @Override
    public int appendUnquotedUTF8(byte[] buffer, int offset) {
        if (offset + length > buffer.length) {
            return -1; // the generator then takes asUnquotedUTF8()
        }
        System.arraycopy(bytes, 0, buffer, offset, length);
        return length;
    }

    @Override
    public byte[] asUnquotedUTF8() {
        return Arrays.copyOf(bytes, length);
    }

    @Override
    public int appendUnquoted(char[] buffer, int offset) {
        if (offset + length > buffer.length) {
            return -1;
        }
        for (int i = 0; i < length; i++) {
            buffer[offset + i] = (char) bytes[i];
        }
        return length;
    }

    @Override
    public int writeUnquotedUTF8(OutputStream out) throws IOException {
        out.write(bytes, 0, length);
        return length;
    }

    @Override
    public int putUnquotedUTF8(ByteBuffer buffer) {
        if (buffer.remaining() < length) {
            return -1;
        }
        buffer.put(bytes, 0, length);
        return length;
    }

    @Override
    public char[] asQuotedChars() {
        throw quoted();
    }

    @Override
    public byte[] asQuotedUTF8() {
        throw quoted();
    }

    @Override
    public int appendQuotedUTF8(byte[] buffer, int offset) {
        throw quoted();
    }

    @Override
    public int appendQuoted(char[] buffer, int offset) {
        throw quoted();
    }

    @Override
    public int writeQuotedUTF8(OutputStream out) {
        throw quoted();
    }

    @Override
    public int putQuotedUTF8(ByteBuffer buffer) {
        throw quoted();
    }

    private static UnsupportedOperationException quoted() {
        return new UnsupportedOperationException("raw JSON is written as it is, never as a quoted string");
    }
}
