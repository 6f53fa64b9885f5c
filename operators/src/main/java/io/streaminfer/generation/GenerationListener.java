package io.streaminfer.generation;

import java.util.List;

/**
 * Receives what each decoding step produced for the streamed sequences, on the engine's thread, once per step with
 * every delta of that step (so a host can publish them in one go). Must not block for long: the next step waits.
 * A delta reaches the listener before its sequence's result completes.
 */
@FunctionalInterface
public interface GenerationListener {
    GenerationListener NONE = deltas -> { };

    void onStep(List<TokenDelta> deltas);
}
