package io.streaminfer.contract;

import java.nio.ByteBuffer;

/**
 * The tensor bytes after a binary-framed body's JSON header, handed out in the order the header's tensors declare
 * them ({@code parameters.binary_data_size}); {@link #finish()} checks that every byte was claimed.
 */
final class BinarySection {
    private final ByteBuffer bytes;
    private final String what;

    BinarySection(byte[] body, int offset, String what) {
        this.bytes = ByteBuffer.wrap(body, offset, body.length - offset).slice();
        this.what = what;
    }

    /** The next {@code size} bytes, for the tensor described by {@code at}. */
    ByteBuffer next(long size, String at) {
        if (size < 0) {
            throw InferenceException.invalidInput(at + ": parameters.binary_data_size must be >= 0, got " + size);
        }
        if (size > bytes.remaining()) {
            throw InferenceException.malformed("truncated body: " + at + " declares binary_data_size " + size
                    + " but only " + bytes.remaining() + " bytes of binary data remain after the " + what
                    + "'s JSON header and the tensors before it");
        }
        ByteBuffer slice = bytes.slice();
        slice.limit((int) size);
        bytes.position(bytes.position() + (int) size);
        return slice;
    }

    void finish() {
        if (bytes.hasRemaining()) {
            throw InferenceException.malformed(bytes.remaining() + " bytes of binary data after the " + what
                    + "'s JSON header are not claimed by any tensor's binary_data_size (the sizes, or "
                    + "Inference-Header-Content-Length, are wrong)");
        }
    }
}
