package io.streaminfer.generation.internal;

import io.streaminfer.generation.DecoderModel;
import java.util.Collection;

/**
 * Whether one more sequence fits the key/value budget if every admitted sequence ran to its {@code max_tokens}. In a
 * padded batch every row is as long as the longest, so the worst case is what the model says a batch of that many
 * rows at the longest final length holds ({@link DecoderModel#worstCaseBytes}). Reserving that up front means a
 * running sequence is never preempted for memory; the price is that sequences wait while long ones run, the
 * trade-off Orca made too.
 */
final class KvReservation {
    private final long budgetBytes;
    private final DecoderModel model;
    private final int contextLength;

    KvReservation(long budgetBytes, DecoderModel model) {
        this.budgetBytes = budgetBytes;
        this.model = model;
        this.contextLength = model.contextLength();
    }

    /** Bytes the sequences need at most. */
    long worstCase(Collection<Sequence> admitted, Sequence extra) {
        int rows = admitted.size() + (extra == null ? 0 : 1);
        long longest = extra == null ? 0 : extra.finalLength(contextLength);
        for (Sequence s : admitted) {
            longest = Math.max(longest, s.finalLength(contextLength));
        }
        return model.worstCaseBytes(rows, (int) longest);
    }

    /** Whether {@code candidate} may join {@code admitted}; a sequence alone always may, so nothing waits forever. */
    boolean fits(Collection<Sequence> admitted, Sequence candidate) {
        return admitted.isEmpty() || worstCase(admitted, candidate) <= budgetBytes;
    }

    /** The bytes a single sequence of the model's full context needs: a budget below it admits one at a time. */
    long singleContextBytes() {
        return model.worstCaseBytes(1, contextLength);
    }
}
