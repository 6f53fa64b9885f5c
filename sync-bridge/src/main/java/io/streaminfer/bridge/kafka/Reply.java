package io.streaminfer.bridge.kafka;

import io.streaminfer.contract.ErrorCode;

/**
 * A result record as the bridge needs it: the OIP response or error body, and the error code from the record's
 * header (null on success), so the HTTP status is known without parsing the body.
 */
public final class Reply {
    private final byte[] body;
    private final ErrorCode errorCode;

    public Reply(byte[] body, ErrorCode errorCode) {
        this.body = body;
        this.errorCode = errorCode;
    }

    public byte[] body() {
        return body;
    }

    /** Null on success. */
    public ErrorCode errorCode() {
        return errorCode;
    }

    public boolean isSuccess() {
        return errorCode == null;
    }

    /** The code from a result record's header value; an unknown name counts as an internal error. */
    public static ErrorCode parseCode(String header) {
        if (header == null) {
            return null;
        }
        try {
            return ErrorCode.valueOf(header);
        } catch (IllegalArgumentException e) {
            return ErrorCode.INTERNAL;
        }
    }
}
