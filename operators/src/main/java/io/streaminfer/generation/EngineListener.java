package io.streaminfer.generation;

/**
 * What a {@link GenerationEngine} reports as it runs, for metrics; called on the engine's thread, so it must be
 * cheap. Every method has an empty default.
 */
public interface EngineListener {
    EngineListener NONE = new EngineListener() { };

    /** A sequence left the queue for its prefill after waiting {@code queueNanos}. */
    default void onAdmitted(long queueNanos) { }

    /** A sequence's first new token, {@code nanos} after it was submitted. */
    default void onFirstToken(long nanos) { }

    /** A new token after the first, {@code nanos} after the one before it. */
    default void onNextToken(long nanos) { }

    /**
     * One engine step: {@code decodeRows} sequences advanced by one token in {@code decodeNanos}, and {@code
     * prefillTokens} prompt tokens were run in {@code prefillNanos}.
     */
    default void onStep(int decodeRows, long decodeNanos, int prefillTokens, long prefillNanos) { }

    /** A sequence ended. */
    default void onFinished(FinishReason reason, int promptTokens, int completionTokens) { }
}
