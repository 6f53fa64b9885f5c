package io.streaminfer.bridge.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.contract.OipJson;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The JSON OpenAI's API answers with: completions and chat completions, whole and in chunks, the model list,
 * embeddings. Every chunk of one stream carries the same {@code id}, {@code created} and {@code model}. Only
 * OpenAI's finish reasons appear ({@code stop}, {@code length}); a generation that was cancelled or expired ends in
 * an error instead ({@link #endError}).
 *
 * <pre>{@code
 * OpenAiShapes.Head head = OpenAiShapes.head(jobId, "sotu-gpt", true);
 * sse.data(OpenAiShapes.roleChunk(head));
 * sse.data(OpenAiShapes.deltaChunk(head, " nation", false));
 * }</pre>
 */
public final class OpenAiShapes {
    public static final String OWNER = "streaminfer";

    private OpenAiShapes() {}

    /** What every chunk and answer of one call repeats; {@code chat} picks the chat shapes. */
    public record Head(String id, long created, String model, boolean chat) { }

    public static Head head(String jobId, String model, boolean chat) {
        return new Head((chat ? "chatcmpl-" : "cmpl-") + jobId, System.currentTimeMillis() / 1000, model, chat);
    }

    /** The unstreamed answer of a generation that finished. */
    public static ObjectNode answer(Head h, GenerationEnd end) {
        ObjectNode o = start(h, h.chat() ? "chat.completion" : "text_completion");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        if (h.chat()) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", end.text());
        } else {
            choice.put("text", end.text());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", end.finishReason());
        o.set("usage", usage(end.promptTokens(), end.completionTokens()));
        return o;
    }

    /** A chat stream's first chunk: the assistant's role, no text yet (as OpenAI sends it). */
    public static ObjectNode roleChunk(Head h, boolean includeUsage) {
        ObjectNode o = chunk(h, includeUsage);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        delta.put("role", "assistant");
        delta.put("content", "");
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return o;
    }

    /** One piece of text. */
    public static ObjectNode deltaChunk(Head h, String text, boolean includeUsage) {
        return choiceChunk(h, text, null, includeUsage);
    }

    /** The chunk that says why it ended: no text. */
    public static ObjectNode finishChunk(Head h, String finishReason, boolean includeUsage) {
        return choiceChunk(h, null, finishReason, includeUsage);
    }

    private static ObjectNode choiceChunk(Head h, String text, String finishReason, boolean includeUsage) {
        ObjectNode o = chunk(h, includeUsage);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        if (h.chat()) {
            ObjectNode delta = choice.putObject("delta");
            if (text != null) {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return o;
    }

    /** With {@code stream_options.include_usage}: the last chunk, no choices, the token counts. */
    public static ObjectNode usageChunk(Head h, GenerationEnd end) {
        ObjectNode o = chunk(h, false);
        o.putArray("choices");
        o.set("usage", usage(end.promptTokens(), end.completionTokens()));
        return o;
    }

    private static ObjectNode chunk(Head h, boolean includeUsage) {
        ObjectNode o = start(h, h.chat() ? "chat.completion.chunk" : "text_completion");
        if (includeUsage) {
            o.putNull("usage"); // as OpenAI: null on every chunk but the last when usage was asked for
        }
        return o;
    }

    private static ObjectNode start(Head h, String object) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("id", h.id());
        o.put("object", object);
        o.put("created", h.created());
        o.put("model", h.model());
        return o;
    }

    public static ObjectNode usage(int promptTokens, int completionTokens) {
        ObjectNode u = OipJson.MAPPER.createObjectNode();
        int prompt = Math.max(0, promptTokens);
        int completion = Math.max(0, completionTokens);
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    /**
     * The error a generation that did not finish ends with: a cancel (409, type {@code cancelled}), its deadline
     * (504, code {@code deadline_exceeded}), or its failure (the failure's status).
     */
    public static OpenAiError endError(GenerationEnd end, String jobId) {
        return switch (end.kind()) {
            case CANCELLED -> new OpenAiError(409, "the generation was cancelled after " + Math.max(0,
                    end.completionTokens()) + " token(s); its text so far is at /v1/jobs/" + jobId, null,
                    "cancelled");
            case EXPIRED -> new OpenAiError(504, end.message(), null, "deadline_exceeded");
            default -> new OpenAiError(end.httpStatus(), end.message(), null,
                    end.code() == null ? null : end.code().name().toLowerCase(Locale.ROOT));
        };
    }

    /** One entry of {@code GET /v1/models}. */
    public record Model(String id, long created) { }

    public static ObjectNode model(Model m) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("id", m.id());
        o.put("object", "model");
        o.put("created", m.created());
        o.put("owned_by", OWNER);
        return o;
    }

    public static ObjectNode models(List<Model> models) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        models.forEach(m -> data.add(model(m)));
        return o;
    }

    /**
     * {@code POST /v1/embeddings}' answer: one vector per input in order, as floats or as base64 of little-endian
     * float32 (what the official clients ask for by default, and decode).
     */
    public static ObjectNode embeddings(String model, List<float[]> vectors, boolean base64, int promptTokens) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ObjectNode e = data.addObject();
            e.put("object", "embedding");
            e.put("index", i);
            float[] v = vectors.get(i);
            if (base64) {
                e.put("embedding", base64(v));
            } else {
                ArrayNode a = e.putArray("embedding");
                for (float f : v) {
                    a.add(f);
                }
            }
        }
        o.put("model", model);
        ObjectNode usage = o.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("total_tokens", promptTokens);
        return o;
    }

    static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    /**
     * The tokens an embedding's usage reports: the job does not count an embedding's tokens, so this estimates
     * them, a token per 4 characters (OpenAI's rule of thumb for English), at least one per input.
     */
    public static int estimatedTokens(List<String> inputs) {
        long n = 0;
        for (String s : inputs) {
            n += Math.max(1, (s.codePointCount(0, s.length()) + 3) / 4);
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }
}
