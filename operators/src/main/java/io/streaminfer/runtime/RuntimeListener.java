package io.streaminfer.runtime;

import io.streaminfer.contract.model.ModelVersion;

/**
 * Hooks for metrics of the model calls themselves; called on the calling threads, so implementations must be
 * thread-safe and cheap.
 */
public interface RuntimeListener {
    RuntimeListener NO_OP = new RuntimeListener() {
    };

    /**
     * After each forward pass of a text model.
     *
     * @param rows rows in the pass
     * @param realTokens the rows' own tokens
     * @param paddedTokens rows × the longest row: what the model computed
     */
    default void onForward(ModelVersion model, int rows, long realTokens, long paddedTokens) {
    }
}
