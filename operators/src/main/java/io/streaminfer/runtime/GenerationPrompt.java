package io.streaminfer.runtime;

import io.streaminfer.generation.SamplingParams;
import java.util.Arrays;
import java.util.Objects;

/**
 * A generation request as its model's preparer leaves it: the prompt's token ids (a chat already rendered with the
 * model's template), how to sample, and whether its text is streamed as it comes. The payload of a {@link
 * PreparedRequest} of a generative model.
 */
public record GenerationPrompt(int[] tokens, SamplingParams params, boolean stream) {
    public GenerationPrompt {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(params, "params");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationPrompt g && Arrays.equals(tokens, g.tokens) && stream == g.stream
                && params.toString().equals(g.params.toString());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens) * 31 + Boolean.hashCode(stream);
    }

    @Override
    public String toString() {
        return "GenerationPrompt{" + tokens.length + " tokens, " + params + ", stream=" + stream + "}";
    }
}
