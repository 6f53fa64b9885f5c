package io.streaminfer.bridge.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.OipJson;

/**
 * An error as OpenAI's API writes it, {@code {"error": {"message", "type", "param", "code"}}}, with the HTTP status
 * it goes with; the official clients pick their exception class by the status and show the message. Thrown while a
 * request is read, written by the routes.
 *
 * <pre>{@code
 * throw OpenAiError.badRequest("n > 1 is not supported; send n requests", "n");
 * }</pre>
 */
public final class OpenAiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String param;
    private final String code;

    public OpenAiError(int status, String message, String param, String code) {
        super(message);
        this.status = status;
        this.param = param;
        this.code = code;
    }

    public static OpenAiError badRequest(String message, String param) {
        return new OpenAiError(400, message, param, null);
    }

    /**
     * A contract error of the request (unknown model, bad input), with its status; {@code param} names the sampling
     * parameter the message starts with ("temperature must be ...").
     */
    public static OpenAiError of(InferenceException e) {
        if (e.code() == ErrorCode.UNKNOWN_MODEL) {
            return new OpenAiError(404, e.getMessage(), "model", "model_not_found");
        }
        String message = e.getMessage() == null ? "" : e.getMessage();
        String first = message.split("[ (;]", 2)[0];
        String param = OpenAiRequests.SAMPLING.contains(first) ? first : null;
        return new OpenAiError(e.code().httpStatus(), message, param, null);
    }

    public int status() {
        return status;
    }

    /** The body: OpenAI's type for the status, and the code where this error names one. */
    public ObjectNode body() {
        return body(status, getMessage(), param, code);
    }

    public static ObjectNode body(int status, String message, String param, String code) {
        ObjectNode error = OipJson.MAPPER.createObjectNode();
        error.put("message", message);
        error.put("type", type(status));
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        String c = code != null ? code : defaultCode(status);
        if (c == null) {
            error.putNull("code");
        } else {
            error.put("code", c);
        }
        ObjectNode root = OipJson.MAPPER.createObjectNode();
        root.set("error", error);
        return root;
    }

    static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 409 -> "cancelled";
            case 429 -> "rate_limit_error";
            case 504 -> "timeout_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    private static String defaultCode(int status) {
        return switch (status) {
            case 401 -> "invalid_api_key";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_exceeded";
            case 503 -> "service_unavailable";
            case 504 -> "timeout";
            default -> null;
        };
    }

    /** Whether {@code path} is one of the OpenAI endpoints, whose errors take this form. */
    public static boolean isOpenAiPath(String path) {
        return path != null && (path.equals("/v1/models") || path.startsWith("/v1/models/")
                || path.equals("/v1/completions") || path.equals("/v1/chat/completions")
                || path.equals("/v1/embeddings") || path.equals("/v1/files") || path.startsWith("/v1/files/")
                || path.equals("/v1/batches") || path.startsWith("/v1/batches/"));
    }
}
