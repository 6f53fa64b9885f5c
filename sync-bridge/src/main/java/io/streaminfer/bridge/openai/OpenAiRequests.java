package io.streaminfer.bridge.openai;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads OpenAI's completion, chat and embedding bodies into the generation contract's request (the prompt as input
 * {@code text_input}, or {@code parameters.messages}; the sampling parameters under their own names, checked later
 * by {@code GenerationOptions} exactly as the job reads them). What the engine cannot do is refused with a 400 that
 * names the parameter, never ignored: {@code n} above 1, several prompts, token-ID prompts, log probabilities,
 * penalties, logit biases, tools, JSON response formats, {@code echo}, {@code suffix}. Fields it does not know are
 * ignored, as vLLM does ({@code user}, {@code metadata}, ...).
 *
 * <pre>{@code
 * OpenAiRequests.Generation g = OpenAiRequests.chat(body);   // throws OpenAiError (400)
 * checks.generation(g.model(), null, g.request(), g.stream());
 * }</pre>
 */
public final class OpenAiRequests {
    private static final TypeReference<Object> ANY = new TypeReference<>() { };
    /** Sampling parameters passed through under the contract's names (GenerationOptions). */
    static final List<String> SAMPLING = List.of("max_tokens", "max_completion_tokens", "temperature",
            "top_p", "top_k", "seed", "stop", "min_tokens", "ignore_eos");

    private OpenAiRequests() {}

    /** A completion or chat, as the contract's request, and how to answer it. */
    public record Generation(String model, InferenceRequest request, boolean stream, boolean includeUsage,
            boolean chat) { }

    /** An embeddings request: its texts, and whether the vectors go back as base64. */
    public record Embeddings(String model, List<String> inputs, boolean base64, Integer dimensions) { }

    /** {@code POST /v1/completions}. */
    public static Generation completion(byte[] body) {
        ObjectNode o = object(body);
        refuseUnsupported(o);
        refuseIf(o, "echo", v -> v.asBoolean(false), "echo is not supported");
        refuseIf(o, "suffix", v -> !v.isNull(), "suffix is not supported");
        refuseIf(o, "logprobs", v -> !v.isNull(), "logprobs are not supported");
        refuseIf(o, "best_of", v -> !v.isNull() && v.asInt(1) != 1, "best_of above 1 is not supported");
        JsonNode prompt = o.get("prompt");
        String text;
        if (prompt == null || prompt.isNull()) {
            throw OpenAiError.badRequest("'prompt' is required", "prompt");
        } else if (prompt.isTextual()) {
            text = prompt.textValue();
        } else if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            text = prompt.get(0).textValue();
        } else if (prompt.isArray() && prompt.size() > 1 && prompt.get(0).isTextual()) {
            throw OpenAiError.badRequest("one prompt per request: send one request for each of the " + prompt.size()
                    + " prompts", "prompt");
        } else {
            throw OpenAiError.badRequest("'prompt' must be a string (token-ID prompts are not supported)", "prompt");
        }
        Map<String, Object> parameters = sampling(o);
        InferenceRequest request = new InferenceRequest(null, parameters,
                List.of(Tensor.ofStrings(GenerationOptions.TEXT_INPUT, text)), null);
        return new Generation(model(o), request, stream(o), includeUsage(o), false);
    }

    /** {@code POST /v1/chat/completions}. */
    public static Generation chat(byte[] body) {
        ObjectNode o = object(body);
        refuseUnsupported(o);
        refuseIf(o, "logprobs", v -> v.asBoolean(false), "logprobs are not supported");
        refuseIf(o, "top_logprobs", v -> !v.isNull(), "top_logprobs are not supported");
        refuseIf(o, "tools", v -> v.isArray() && !v.isEmpty(), "tools are not supported");
        refuseIf(o, "functions", v -> v.isArray() && !v.isEmpty(), "functions are not supported");
        refuseIf(o, "response_format", v -> v.isObject() && !"text".equals(v.path("type").asText("text")),
                "only the text response format is supported");
        JsonNode messages = o.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw OpenAiError.badRequest("'messages' must be a non-empty array of {\"role\", \"content\"}",
                    "messages");
        }
        List<Map<String, Object>> chat = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw OpenAiError.badRequest(where + " must be an object with 'role' and 'content'", where);
            }
            String role = m.path("role").asText(null);
            if (role == null || !List.of("system", "developer", "user", "assistant").contains(role)) {
                throw OpenAiError.badRequest(where + ".role must be system, developer, user or assistant, got "
                        + m.get("role"), where + ".role");
            }
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", role);
            message.put("content", content(m.get("content"), where + ".content"));
            chat.add(message);
        }
        Map<String, Object> parameters = sampling(o);
        parameters.put(GenerationOptions.MESSAGES, chat);
        return new Generation(model(o), new InferenceRequest(null, parameters, List.of(), null), stream(o),
                includeUsage(o), true);
    }

    /** {@code POST /v1/embeddings}. */
    public static Embeddings embeddings(byte[] body) {
        ObjectNode o = object(body);
        JsonNode input = o.get("input");
        List<String> texts = new ArrayList<>();
        if (input == null || input.isNull()) {
            throw OpenAiError.badRequest("'input' is required: a string or an array of strings", "input");
        } else if (input.isTextual()) {
            texts.add(input.textValue());
        } else if (input.isArray() && !input.isEmpty()) {
            for (JsonNode t : input) {
                if (!t.isTextual()) {
                    throw OpenAiError.badRequest("'input' must be a string or an array of strings (token-ID inputs "
                            + "are not supported)", "input");
                }
                texts.add(t.textValue());
            }
        } else {
            throw OpenAiError.badRequest("'input' must be a non-empty string or array of strings", "input");
        }
        String format = o.path("encoding_format").isNull() ? "float" : o.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw OpenAiError.badRequest("encoding_format must be float or base64, got '" + format + "'",
                    "encoding_format");
        }
        JsonNode dims = o.get("dimensions");
        Integer dimensions = null;
        if (dims != null && !dims.isNull()) {
            if (!dims.canConvertToInt() || !dims.isIntegralNumber()) {
                throw OpenAiError.badRequest("dimensions must be an integer", "dimensions");
            }
            dimensions = dims.intValue();
        }
        return new Embeddings(model(o), texts, format.equals("base64"), dimensions);
    }

    private static ObjectNode object(byte[] body) {
        if (body == null || body.length == 0) {
            throw OpenAiError.badRequest("empty body: expected a JSON object", null);
        }
        try {
            JsonNode n = OipJson.MAPPER.readTree(body);
            if (n instanceof ObjectNode o) {
                return o;
            }
        } catch (IOException e) {
            throw OpenAiError.badRequest("the body is not valid JSON: " + e.getMessage(), null);
        }
        throw OpenAiError.badRequest("the body must be a JSON object", null);
    }

    private static String model(ObjectNode o) {
        JsonNode m = o.get("model");
        if (m == null || !m.isTextual() || m.textValue().isEmpty()) {
            throw OpenAiError.badRequest("'model' is required: the name of a model (GET /v1/models lists them)",
                    "model");
        }
        return m.textValue();
    }

    private static boolean stream(ObjectNode o) {
        JsonNode s = o.get("stream");
        if (s == null || s.isNull()) {
            return false;
        }
        if (!s.isBoolean()) {
            throw OpenAiError.badRequest("stream must be true or false", "stream");
        }
        return s.booleanValue();
    }

    private static boolean includeUsage(ObjectNode o) {
        JsonNode options = o.get("stream_options");
        if (options == null || options.isNull()) {
            return false;
        }
        if (!stream(o)) {
            throw OpenAiError.badRequest("stream_options is only allowed when stream is true", "stream_options");
        }
        return options.path("include_usage").asBoolean(false);
    }

    /** What the engine cannot do, in either body. */
    private static void refuseUnsupported(ObjectNode o) {
        refuseIf(o, "n", v -> !v.isNull() && v.asInt(1) != 1, "n above 1 is not supported; send n requests");
        refuseIf(o, "presence_penalty", OpenAiRequests::nonZero, "presence_penalty is not supported (0 only)");
        refuseIf(o, "frequency_penalty", OpenAiRequests::nonZero, "frequency_penalty is not supported (0 only)");
        refuseIf(o, "repetition_penalty", v -> !v.isNull() && v.asDouble(1) != 1.0,
                "repetition_penalty is not supported (1 only)");
        refuseIf(o, "logit_bias", v -> v.isObject() && !v.isEmpty(), "logit_bias is not supported");
    }

    private static boolean nonZero(JsonNode v) {
        return !v.isNull() && v.asDouble(0) != 0.0;
    }

    private static void refuseIf(ObjectNode o, String field, Predicate<JsonNode> bad,
            String message) {
        JsonNode v = o.get(field);
        if (v != null && bad.test(v)) {
            throw OpenAiError.badRequest(message, field);
        }
    }

    /** A message's text: a string, or the text parts of an array of content parts. */
    private static String content(JsonNode c, String where) {
        if (c != null && c.isTextual()) {
            return c.textValue();
        }
        if (c != null && c.isArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw OpenAiError.badRequest(where + " may hold only text parts ({\"type\": \"text\", \"text\"})",
                            where);
                }
                b.append(part.get("text").textValue());
            }
            return b.toString();
        }
        throw OpenAiError.badRequest(where + " must be a string or an array of text parts", where);
    }

    /** The sampling parameters given, as JSON values (checked by the contract's GenerationOptions). */
    private static Map<String, Object> sampling(ObjectNode o) {
        Map<String, Object> p = new LinkedHashMap<>();
        for (String name : SAMPLING) {
            JsonNode v = o.get(name);
            if (v != null && !v.isNull()) {
                p.put(name, OipJson.MAPPER.convertValue(v, ANY));
            }
        }
        return p;
    }
}
