package io.streaminfer.contract.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code generation} section of a generative model's {@code model.yaml}: its tokenizer, the shape of its cache
 * (which the engine needs to start a sequence), where a sequence ends, what callers may ask for, the engine's
 * budgets, and a chat template. Example (the shipped model):
 *
 * <pre>{@code
 * generation:
 *   tokenizer: tokenizer.json        # Hugging Face tokenizer.json, byte-level BPE (GPT-2 family)
 *   context_length: 512              # positions of prompt and completion together
 *   layers: 6                        # the cache's shape: past_key_values is layers × (key, value),
 *   heads: 8                         #   each [batch, heads, length, head_dim]
 *   head_dim: 32
 *   end_of_sequence: [0]             # token ids that end a sequence
 *   max_tokens: {default: 128, max: 512}
 *   step_tokens: 256                 # tokens one engine step runs (decoding rows and prompt chunks)
 *   kv_cache_mb: 256                 # key/value cache the engine may reserve, worst case
 *   max_waiting: 128                 # sequences waiting for admission before the operator waits
 *   chat_template:
 *     system: "{content}\n\n"
 *     user: "Question: {content}\n"
 *     assistant: "Answer: {content}\n"
 *     generation_prompt: "Answer:"
 * }</pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class GenerationSettings {
    private final String tokenizer;
    private final int contextLength;
    private final int layers;
    private final int heads;
    private final int headDim;
    private final List<Integer> endOfSequence;
    private final MaxTokens maxTokens;
    private final int stepTokens;
    private final int kvCacheMb;
    private final int maxWaiting;
    private final ChatTemplate chatTemplate;

    @JsonCreator
    public GenerationSettings(@JsonProperty("tokenizer") String tokenizer,
            @JsonProperty("context_length") Integer contextLength, @JsonProperty("layers") Integer layers,
            @JsonProperty("heads") Integer heads, @JsonProperty("head_dim") Integer headDim,
            @JsonProperty("end_of_sequence") List<Integer> endOfSequence,
            @JsonProperty("max_tokens") MaxTokens maxTokens, @JsonProperty("step_tokens") Integer stepTokens,
            @JsonProperty("kv_cache_mb") Integer kvCacheMb, @JsonProperty("max_waiting") Integer maxWaiting,
            @JsonProperty("chat_template") ChatTemplate chatTemplate) {
        List<String> problems = new ArrayList<>();
        this.tokenizer = tokenizer == null ? "tokenizer.json" : tokenizer;
        this.contextLength = required(contextLength, "context_length", 2, 1 << 20, problems);
        this.layers = required(layers, "layers", 1, 1024, problems);
        this.heads = required(heads, "heads", 1, 1024, problems);
        this.headDim = required(headDim, "head_dim", 1, 4096, problems);
        this.endOfSequence = endOfSequence == null ? List.of() : List.copyOf(endOfSequence);
        if (this.endOfSequence.isEmpty()) {
            problems.add("'generation.end_of_sequence' must list the token id(s) that end a sequence, e.g. [0]");
        }
        for (Integer id : this.endOfSequence) {
            if (id == null || id < 0) {
                problems.add("'generation.end_of_sequence' ids must be >= 0, got " + this.endOfSequence);
                break;
            }
        }
        this.maxTokens = maxTokens == null ? new MaxTokens(null, null) : maxTokens;
        if (this.contextLength > 0 && this.maxTokens.max() >= this.contextLength) {
            problems.add("'generation.max_tokens.max' (" + this.maxTokens.max() + ") must be below context_length ("
                    + this.contextLength + "): a prompt needs at least one position");
        }
        this.stepTokens = stepTokens == null ? 256 : stepTokens;
        if (this.stepTokens < 1) {
            problems.add("'generation.step_tokens' must be >= 1, got " + stepTokens);
        }
        this.kvCacheMb = kvCacheMb == null ? 256 : kvCacheMb;
        if (this.kvCacheMb < 1) {
            problems.add("'generation.kv_cache_mb' must be >= 1, got " + kvCacheMb);
        }
        this.maxWaiting = maxWaiting == null ? 128 : maxWaiting;
        if (this.maxWaiting < 1) {
            problems.add("'generation.max_waiting' must be >= 1, got " + maxWaiting);
        }
        this.chatTemplate = chatTemplate == null ? ChatTemplate.DEFAULT : chatTemplate;
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    private static int required(Integer value, String key, int min, int max, List<String> problems) {
        if (value == null) {
            problems.add("'generation." + key + "' is required");
            return 0;
        }
        if (value < min || value > max) {
            problems.add("'generation." + key + "' must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    public String tokenizer() {
        return tokenizer;
    }

    public int contextLength() {
        return contextLength;
    }

    public int layers() {
        return layers;
    }

    public int heads() {
        return heads;
    }

    public int headDim() {
        return headDim;
    }

    /** Bytes of key/value cache per token of one sequence (float32 keys and values of every layer). */
    public long cacheBytesPerToken() {
        return 2L * layers * heads * headDim * Float.BYTES;
    }

    public List<Integer> endOfSequence() {
        return endOfSequence;
    }

    public MaxTokens maxTokens() {
        return maxTokens;
    }

    public int stepTokens() {
        return stepTokens;
    }

    public long kvCacheBytes() {
        return (long) kvCacheMb << 20;
    }

    public int maxWaiting() {
        return maxWaiting;
    }

    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    /** What a request gets without {@code max_tokens}, and the most it may ask for. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record MaxTokens(int defaultValue, int max) {
        @JsonCreator
        public MaxTokens(@JsonProperty("default") Integer defaultValue, @JsonProperty("max") Integer max) {
            this(defaultValue == null ? 128 : defaultValue, max == null ? 256 : max);
        }

        public MaxTokens {
            if (defaultValue < 1 || max < 1 || defaultValue > max) {
                throw new IllegalArgumentException("'generation.max_tokens' needs 1 <= default <= max, got default "
                        + defaultValue + " and max " + max);
            }
        }
    }

    /**
     * How chat messages become a prompt: each message by its role's pattern ({@code {content}} is replaced by its
     * text), in order, then {@code generation_prompt}, after which the model writes the answer.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record ChatTemplate(String system, String user, String assistant, String generationPrompt) {
        public static final ChatTemplate DEFAULT = new ChatTemplate("{content}\n\n", "User: {content}\n",
                "Assistant: {content}\n", "Assistant:");

        @JsonCreator
        public static ChatTemplate of(@JsonProperty("system") String system, @JsonProperty("user") String user,
                @JsonProperty("assistant") String assistant,
                @JsonProperty("generation_prompt") String generationPrompt) {
            return new ChatTemplate(system == null ? DEFAULT.system : system, user == null ? DEFAULT.user : user,
                    assistant == null ? DEFAULT.assistant : assistant,
                    generationPrompt == null ? DEFAULT.generationPrompt : generationPrompt);
        }

        public ChatTemplate {
            for (String p : new String[] {system, user, assistant}) {
                if (p == null || !p.contains("{content}")) {
                    throw new IllegalArgumentException("'generation.chat_template' patterns for system, user and "
                            + "assistant must each contain {content}");
                }
            }
            Objects.requireNonNull(generationPrompt, "generation_prompt");
        }

        /** The prompt for {@code messages}: each by its role's pattern, then the generation prompt. */
        public String render(List<ChatMessage> messages) {
            StringBuilder b = new StringBuilder();
            for (ChatMessage m : messages) {
                String pattern = switch (m.role()) {
                    case SYSTEM -> system;
                    case USER -> user;
                    case ASSISTANT -> assistant;
                };
                b.append(pattern.replace("{content}", m.content()));
            }
            return b.append(generationPrompt).toString();
        }
    }
}
