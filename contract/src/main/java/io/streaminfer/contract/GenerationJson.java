package io.streaminfer.contract;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plain form of a generation request on the requests topic, for producers that do not speak OIP: one JSON
 * object like OpenAI's completion and chat bodies, {@code {"prompt": "..."}} or {@code {"messages": [{"role",
 * "content"}]}}, with the sampling parameters beside it ({@code max_tokens}, {@code temperature}, {@code stream}, ...,
 * see {@link GenerationOptions}) and an optional {@code id}. It is read as the OIP request it stands for: input
 * {@value GenerationOptions#TEXT_INPUT} holds the prompt, every other field is a parameter.
 */
public final class GenerationJson {
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() { };

    private GenerationJson() {}

    /** Whether {@code json} is this form rather than OIP (it has no {@code inputs}). */
    public static boolean isPlainForm(byte[] json) {
        try {
            var root = OipJson.MAPPER.readTree(json);
            return root != null && root.isObject() && !root.has("inputs")
                    && (root.has("prompt") || root.has(GenerationOptions.MESSAGES));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The OIP request {@code json} stands for.
     *
     * @throws InferenceException MALFORMED_REQUEST when it is not a JSON object, INVALID_INPUT for a prompt that is
     *         not one string
     */
    public static InferenceRequest toRequest(byte[] json) {
        Map<String, Object> body;
        try {
            body = OipJson.MAPPER.readValue(json, MAP);
        } catch (IOException e) {
            throw InferenceException.malformed("not a JSON object: " + e.getMessage());
        }
        if (body == null) {
            throw InferenceException.malformed("not a JSON object");
        }
        Object id = body.remove("id");
        if (id != null && !(id instanceof String)) {
            throw InferenceException.malformed("'id' must be a string");
        }
        Object prompt = body.remove("prompt");
        body.values().removeIf(v -> v == null);
        List<Tensor> inputs = List.of();
        if (prompt != null) {
            if (!(prompt instanceof String p)) {
                throw InferenceException.invalidInput("'prompt' must be one string (send one request per prompt)");
            }
            inputs = List.of(Tensor.ofStrings(GenerationOptions.TEXT_INPUT, p));
        }
        return new InferenceRequest((String) id, body, inputs, null);
    }
}
