package io.streaminfer.generation;

/**
 * Why a generation ended. {@link #wireName()} is what token records, results and the OpenAI-compatible API say
 * ({@code stop} and {@code length} are OpenAI's own; the others are this platform's).
 */
public enum FinishReason {
    /** An end-of-sequence token or a stop sequence. */
    STOP("stop"),
    /** {@code max_tokens} reached, or the model's context is full. */
    LENGTH("length"),
    /** Cancelled by a cancel record or a lost client: the text so far is the result. */
    CANCELLED("cancelled"),
    /** The caller's deadline passed mid-generation: the text so far was streamed, the request ends EXPIRED. */
    EXPIRED("expired"),
    /** The model failed on this sequence: the request ends FAILED with MODEL_ERROR. */
    ERROR("error");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The reason of a wire name, as written by {@link #wireName()}. */
    public static FinishReason ofWireName(String name) {
        for (FinishReason r : values()) {
            if (r.wireName.equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown finish reason '" + name + "'");
    }
}
