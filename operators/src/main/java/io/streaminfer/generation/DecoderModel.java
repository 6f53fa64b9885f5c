package io.streaminfer.generation;

import java.util.List;

/**
 * A decoder-only language model with a key/value cache, as the engine drives it: a sequence's prompt is run in
 * chunks on a cache of its own ({@link #extend}), then the sequence joins the running batch ({@link #join}), whose
 * rows advance one token per {@link #step} together; finished rows leave ({@link #retain}). Rows of a batch may have
 * different lengths: each row's positions and mask are its own.
 *
 * <p>Used by one thread at a time (the engine's loop); caches belong to the model that made them.
 */
public interface DecoderModel extends AutoCloseable {
    /** Logits per position. */
    int vocabularySize();

    /** Positions a sequence may have at most (prompt and completion). */
    int contextLength();

    /** Bytes of key/value cache one token of one sequence takes. */
    long cacheBytesPerToken();

    /** A cache without rows, for a new sequence or a batch. */
    Cache newCache();

    /**
     * Runs {@code tokens} of one sequence, at positions {@code start, start + 1, ...}, on top of {@code single} (one
     * row, or none for the first chunk), which grows by them.
     *
     * @return the logits after the last of them, {@link #vocabularySize()} values
     */
    float[] extend(Cache single, int[] tokens, int start);

    /**
     * One decoding step of every row of {@code batch}: row {@code r} is fed {@code tokens[r]} at {@code
     * positions[r]}; each row's cache grows by it.
     *
     * @return the logits of every row, row after row ({@code rows × vocabularySize()} values)
     */
    float[] step(Cache batch, int[] tokens, int[] positions);

    /**
     * Moves the rows of each of {@code others} to the end of {@code batch}, in order; they have none after. All at
     * once, because a join may copy the whole batch: the engine joins a step's newcomers together.
     */
    void join(Cache batch, List<Cache> others);

    /** {@link #join(Cache, List)} of one cache. */
    default void join(Cache batch, Cache other) {
        join(batch, List.of(other));
    }

    /** Keeps only {@code rows} (ascending indexes) of {@code batch}, in that order. */
    void retain(Cache batch, int[] rows);

    /** A new one-row cache holding a copy of row {@code row} of {@code batch} (to run rows alone after a failure). */
    Cache copyRow(Cache batch, int row);

    /**
     * The bytes a batch of {@code rows} sequences may hold when its longest is {@code length} tokens long, padding
     * the model keeps before it trims included. The engine admits sequences only while this stays in its budget.
     */
    long worstCaseBytes(int rows, int length);

    @Override
    void close();

    /** The keys and values of some sequences, on the model's device. */
    interface Cache extends AutoCloseable {
        int rows();

        /** Bytes the cache holds now, padding included. */
        long bytes();

        @Override
        void close();
    }
}
