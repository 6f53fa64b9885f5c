package io.streaminfer.generation;

/**
 * What one step added to one streamed sequence: the text it makes readable and the tokens since the previous delta.
 * Sequence numbers start at 0 and have no gaps; the last delta of a sequence carries its finish reason (its text may
 * be empty). Text that could still be the start of a stop sequence, or an incomplete UTF-8 character, is held back
 * until it is decided, so no delta is ever taken back. A step that decides no new text sends no delta.
 *
 * @param finish null until the last delta
 * @param promptTokens the sequence's prompt tokens
 * @param completionTokens the sequence's new tokens so far, this delta's included
 */
public record TokenDelta(String id, int seq, String text, int[] tokens, FinishReason finish, int promptTokens,
        int completionTokens) {
    public boolean isLast() {
        return finish != null;
    }
}
