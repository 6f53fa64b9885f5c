package io.streaminfer.contract;

/** A request-level failure with its {@link ErrorCode}; the message is meant for the caller, so it says what to fix. */
public class InferenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public InferenceException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public InferenceException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static InferenceException invalidInput(String message) {
        return new InferenceException(ErrorCode.INVALID_INPUT, message);
    }

    public static InferenceException malformed(String message) {
        return new InferenceException(ErrorCode.MALFORMED_REQUEST, message);
    }
}
