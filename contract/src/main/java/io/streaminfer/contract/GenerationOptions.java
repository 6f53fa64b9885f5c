package io.streaminfer.contract;

import io.streaminfer.contract.model.ChatMessage;
import io.streaminfer.contract.model.GenerationSettings;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What a generation request asks for, read from an OIP request of a generative model: the prompt (input {@value
 * #TEXT_INPUT}, one string) or a chat ({@code parameters.messages}), and the sampling parameters in {@code
 * parameters}, named as OpenAI's API and vLLM name them:
 *
 * <table>
 *   <caption>parameters</caption>
 *   <tr><td>{@code max_tokens} (or {@code max_completion_tokens})</td><td>new tokens at most; default the model's
 *   {@code generation.max_tokens.default}, capped by what the context leaves</td></tr>
 *   <tr><td>{@code temperature}</td><td>default 1.0; 0 is greedy</td></tr>
 *   <tr><td>{@code top_p}, {@code top_k}</td><td>defaults 1.0 and 0 (off)</td></tr>
 *   <tr><td>{@code seed}</td><td>an integer; default none</td></tr>
 *   <tr><td>{@code stop}</td><td>a string or up to 4 strings</td></tr>
 *   <tr><td>{@code min_tokens}, {@code ignore_eos}</td><td>vLLM's: no end of sequence before that many tokens;
 *   end-of-sequence does not end it</td></tr>
 *   <tr><td>{@code stream}</td><td>true: the text is published on the token topic as it is generated</td></tr>
 * </table>
 *
 * {@link #read} lists every problem at once.
 */
public record GenerationOptions(String prompt, List<ChatMessage> messages, int maxTokens, boolean maxTokensGiven,
        double temperature, double topP, int topK, OptionalLong seed, List<String> stop, int minTokens,
        boolean ignoreEos, boolean stream) {
    public static final String TEXT_INPUT = "text_input";
    public static final String TEXT_OUTPUT = "text_output";
    public static final String MESSAGES = "messages";
    public static final String STREAM = "stream";
    /** Response parameters of a finished generation. */
    public static final String FINISH_REASON = "finish_reason";
    public static final String PROMPT_TOKENS = "prompt_tokens";
    public static final String COMPLETION_TOKENS = "completion_tokens";
    /** Stop sequences a request may give at most, as OpenAI's API allows. */
    public static final int MAX_STOP = 4;

    /** Whether the prompt is a chat, to be rendered with the model's chat template. */
    public boolean isChat() {
        return messages != null;
    }

    /**
     * Reads and checks the options of {@code request} for a model with {@code settings}.
     *
     * @throws InferenceException INVALID_INPUT listing every problem
     */
    public static GenerationOptions read(InferenceRequest request, GenerationSettings settings) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> p = request.parameters();
        String prompt = null;
        List<ChatMessage> messages = null;
        Tensor text = request.input(TEXT_INPUT);
        Object m = p.get(MESSAGES);
        if (text != null && m != null) {
            problems.add("give either input '" + TEXT_INPUT + "' or parameters.messages, not both");
        } else if (text != null) {
            if (text.datatype() != Datatype.BYTES || text.length() != 1) {
                problems.add("input '" + TEXT_INPUT + "' must be BYTES with one element (the prompt), got "
                        + text.datatype() + " " + java.util.Arrays.toString(text.shape()));
            } else {
                prompt = text.strings()[0];
            }
        } else if (m != null) {
            messages = messages(m, problems);
        } else {
            problems.add("no prompt: give input '" + TEXT_INPUT + "' (BYTES, shape [1]) or parameters.messages");
        }
        for (Tensor t : request.inputs()) {
            if (!t.name().equals(TEXT_INPUT)) {
                problems.add("unknown input '" + t.name() + "'; a generative model takes only '" + TEXT_INPUT + "'");
            }
        }
        Object max = p.containsKey("max_completion_tokens") ? p.get("max_completion_tokens") : p.get("max_tokens");
        int maxTokens = settings.maxTokens().defaultValue();
        boolean given = max != null;
        if (given) {
            maxTokens = (int) integer(max, "max_tokens", 1, settings.maxTokens().max(), problems);
        }
        double temperature = number(p.get("temperature"), "temperature", 1.0, 0, 2, problems);
        double topP = number(p.get("top_p"), "top_p", 1.0, Double.MIN_VALUE, 1, problems);
        int topK = p.get("top_k") == null ? 0 : (int) integer(p.get("top_k"), "top_k", -1, Integer.MAX_VALUE, problems);
        if (topK < 0) {
            topK = 0; // vLLM's -1 means off
        }
        OptionalLong seed = p.get("seed") == null ? OptionalLong.empty()
                : OptionalLong.of(integer(p.get("seed"), "seed", Long.MIN_VALUE, Long.MAX_VALUE, problems));
        List<String> stop = stop(p.get("stop"), problems);
        int minTokens = p.get("min_tokens") == null ? 0
                : (int) integer(p.get("min_tokens"), "min_tokens", 0, settings.maxTokens().max(), problems);
        if (minTokens > maxTokens) {
            problems.add("min_tokens (" + minTokens + ") must not exceed max_tokens (" + maxTokens + ")");
        }
        boolean ignoreEos = bool(p.get("ignore_eos"), "ignore_eos", problems);
        boolean stream = bool(p.get(STREAM), STREAM, problems);
        if (!problems.isEmpty()) {
            throw InferenceException.invalidInput(String.join("; ", problems));
        }
        return new GenerationOptions(prompt, messages, maxTokens, given, temperature, topP, topK, seed, stop,
                minTokens, ignoreEos, stream);
    }

    private static List<ChatMessage> messages(Object value, List<String> problems) {
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            problems.add("parameters.messages must be a non-empty array of {\"role\", \"content\"}");
            return null;
        }
        List<ChatMessage> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> msg) || !(msg.get("content") instanceof String content)) {
                problems.add("parameters.messages[" + i + "] must be an object with a string 'content'");
                continue;
            }
            try {
                out.add(new ChatMessage(ChatMessage.Role.parse((String) msg.get("role")), content));
            } catch (IllegalArgumentException | ClassCastException e) {
                problems.add("parameters.messages[" + i + "]: " + e.getMessage());
            }
        }
        return out;
    }

    private static List<String> stop(Object value, List<String> problems) {
        if (value == null) {
            return List.of();
        }
        List<String> stop = new ArrayList<>();
        if (value instanceof String s) {
            stop.add(s);
        } else if (value instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String s)) {
                    problems.add("stop must be a string or an array of strings");
                    return List.of();
                }
                stop.add(s);
            }
        } else {
            problems.add("stop must be a string or an array of strings");
            return List.of();
        }
        if (stop.size() > MAX_STOP) {
            problems.add("stop takes at most " + MAX_STOP + " sequences, got " + stop.size());
        }
        if (stop.stream().anyMatch(String::isEmpty)) {
            problems.add("stop sequences must not be empty");
        }
        return List.copyOf(stop);
    }

    private static long integer(Object value, String name, long min, long max, List<String> problems) {
        long v;
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            v = ((Number) value).longValue();
        } else if (value instanceof BigInteger b && b.bitLength() < 64) {
            v = b.longValue();
        } else if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
            v = d.longValue();
        } else {
            problems.add(name + " must be an integer, got " + value);
            return Math.max(min, Math.min(max, 1));
        }
        if (v < min || v > max) {
            problems.add(name + " must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    private static double number(Object value, String name, double dflt, double min, double max,
            List<String> problems) {
        if (value == null) {
            return dflt;
        }
        if (!(value instanceof Number n)) {
            problems.add(name + " must be a number, got " + value);
            return dflt;
        }
        double v = n.doubleValue();
        if (!(v >= min && v <= max)) {
            problems.add(name + " must be between " + (min == Double.MIN_VALUE ? "0 (exclusive)" : min) + " and "
                    + max + ", got " + v);
        }
        return v;
    }

    private static boolean bool(Object value, String name, List<String> problems) {
        if (value == null) {
            return false;
        }
        if (!(value instanceof Boolean b)) {
            problems.add(name + " must be true or false, got " + value);
            return false;
        }
        return b;
    }
}
