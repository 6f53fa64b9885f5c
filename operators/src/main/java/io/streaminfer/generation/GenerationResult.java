package io.streaminfer.generation;

/**
 * A finished sequence: its whole text (a resumed sequence's includes what was published before the failover), its
 * token counts, why it ended, and where its time went.
 *
 * @param text the completion, without the prompt, cut before a stop sequence
 * @param tokens the completion's token ids (a stop sequence's tokens included)
 * @param error what failed, for {@link FinishReason#ERROR}; null otherwise
 * @param queueNanos from submission to the start of its prefill
 * @param firstTokenNanos from submission to its first new token (-1 when none came)
 * @param totalNanos from submission to its end
 */
public record GenerationResult(String id, String text, int[] tokens, int promptTokens, FinishReason finish,
        String error, long queueNanos, long firstTokenNanos, long totalNanos) {

    /** New tokens, including those of a resumed sequence's published prefix. */
    public int completionTokens() {
        return tokens.length;
    }
}
