package io.streaminfer.runtime;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceResponse;
import java.util.Objects;

/** The outcome of one request in a batch: a response, or an error that concerns this request alone. */
public final class Prediction {
    private final InferenceResponse response;
    private final ErrorCode errorCode;
    private final String error;

    private Prediction(InferenceResponse response, ErrorCode errorCode, String error) {
        this.response = response;
        this.errorCode = errorCode;
        this.error = error;
    }

    public static Prediction success(InferenceResponse response) {
        return new Prediction(Objects.requireNonNull(response), null, null);
    }

    public static Prediction failure(ErrorCode code, String message) {
        return new Prediction(null, Objects.requireNonNull(code), Objects.requireNonNull(message));
    }

    public static Prediction failure(InferenceException e) {
        return failure(e.code(), e.getMessage());
    }

    public boolean isSuccess() {
        return response != null;
    }

    /** The response; null on failure. */
    public InferenceResponse response() {
        return response;
    }

    /** Null on success. */
    public ErrorCode errorCode() {
        return errorCode;
    }

    /** Null on success. */
    public String error() {
        return error;
    }

    @Override
    public String toString() {
        return isSuccess() ? "Prediction{ok " + response.id() + "}" : "Prediction{" + errorCode + ": " + error + "}";
    }
}
