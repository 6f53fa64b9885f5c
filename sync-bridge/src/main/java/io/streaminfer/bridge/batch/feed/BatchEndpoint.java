package io.streaminfer.bridge.batch.feed;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a batch's lines call: one of OpenAI's endpoints the bridge serves, or OIP inference. For OIP the batch's
 * {@code endpoint} is {@value #ANY_MODEL} (each line names its model in its {@code url}) or one model's infer path
 * (every line must name that one).
 *
 * <pre>{@code
 * BatchEndpoint e = BatchEndpoint.parse("/v1/embeddings");            // null: not one the bridge serves
 * String problem = e.urlProblem("/v1/chat/completions");             // why a line's url does not fit, or null
 * }</pre>
 */
public record BatchEndpoint(Kind kind, String path) {
    /** The OIP endpoint for lines of any model. */
    public static final String ANY_MODEL = "/v2/models/{model}/infer";
    private static final Pattern OIP = Pattern.compile("/v2/models/([^/]+)(?:/versions/([^/]+))?/infer");

    /** The kinds of lines. */
    public enum Kind { EMBEDDINGS, COMPLETIONS, CHAT_COMPLETIONS, OIP_INFER }

    /** What {@code endpoint} may be, for messages. */
    public static final List<String> SUPPORTED = List.of("/v1/embeddings", "/v1/completions", "/v1/chat/completions",
            ANY_MODEL, "/v2/models/<model>[/versions/<version>]/infer");

    /** A model (and version, null: the latest) named by an OIP infer path. */
    public record OipTarget(String model, String version) { }

    /** Null when the bridge serves no such endpoint. */
    public static BatchEndpoint parse(String endpoint) {
        if (endpoint == null) {
            return null;
        }
        return switch (endpoint) {
            case "/v1/embeddings" -> new BatchEndpoint(Kind.EMBEDDINGS, endpoint);
            case "/v1/completions" -> new BatchEndpoint(Kind.COMPLETIONS, endpoint);
            case "/v1/chat/completions" -> new BatchEndpoint(Kind.CHAT_COMPLETIONS, endpoint);
            case ANY_MODEL -> new BatchEndpoint(Kind.OIP_INFER, endpoint);
            default -> OIP.matcher(endpoint).matches() ? new BatchEndpoint(Kind.OIP_INFER, endpoint) : null;
        };
    }

    /** The model and version of an OIP infer path; null when {@code url} is none. */
    public static OipTarget oip(String url) {
        Matcher m = url == null ? null : OIP.matcher(url);
        return m != null && m.matches() ? new OipTarget(m.group(1), m.group(2)) : null;
    }

    /** Why a line's {@code url} does not fit this batch; null when it does. */
    public String urlProblem(String url) {
        if (kind != Kind.OIP_INFER) {
            return path.equals(url) ? null : "url '" + url + "' is not the batch's endpoint " + path
                    + " (every line of a batch calls its endpoint)";
        }
        if (oip(url) == null) {
            return "url '" + url + "' is not an OIP infer path (/v2/models/<model>[/versions/<version>]/infer)";
        }
        if (!path.equals(ANY_MODEL) && !path.equals(url)) {
            return "url '" + url + "' is not the batch's endpoint " + path + " (use the endpoint " + ANY_MODEL
                    + " for lines of several models)";
        }
        return null;
    }
}
