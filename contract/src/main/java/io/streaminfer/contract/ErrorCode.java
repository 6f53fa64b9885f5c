package io.streaminfer.contract;

/**
 * Why a request did not succeed. Each code carries the HTTP status the bridge answers with, so the job and the bridge
 * agree on what a failure means without sharing anything but this contract.
 */
public enum ErrorCode {
    /** The body is not JSON, or not an OIP inference request. */
    MALFORMED_REQUEST(400),
    /** An input has the wrong name, datatype, shape or values for the model. */
    INVALID_INPUT(400),
    /** No such model, or no such version of it. */
    UNKNOWN_MODEL(404),
    /** The request is larger than the configured limit. */
    PAYLOAD_TOO_LARGE(413),
    /** The caller's deadline passed before the model was run. */
    DEADLINE_EXCEEDED(504),
    /** The request waited longer than the pipeline's inference timeout. */
    TIMEOUT(504),
    /** The model itself failed on this request. */
    MODEL_ERROR(500),
    /** The service sheds load; try again later. */
    OVERLOADED(429),
    /**
     * A repeated request ID whose request succeeded, but whose result is no longer kept to answer it (the job keeps
     * results for replays for {@code state.result-ttl-minutes}, IDs longer): read the result published then, or send
     * the request again with a new ID.
     */
    RESULT_NOT_KEPT(410),
    /** A fault of ours, not of the request. */
    INTERNAL(500);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
