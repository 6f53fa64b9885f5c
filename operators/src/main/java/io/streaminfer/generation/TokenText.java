package io.streaminfer.generation;

/**
 * What the engine needs of a tokenizer: the bytes each token stands for (so text is assembled from bytes and
 * multi-byte characters split across tokens come out whole), and which tokens end a sequence. Encoding prompts is
 * done before the engine, where requests are prepared.
 */
public interface TokenText {
    int size();

    /** The UTF-8 bytes of {@code token} in text; empty for special tokens such as end of sequence. */
    byte[] bytes(int token);

    /** Whether {@code token} ends a sequence (unless it asked to ignore that). */
    boolean endsSequence(int token);
}
