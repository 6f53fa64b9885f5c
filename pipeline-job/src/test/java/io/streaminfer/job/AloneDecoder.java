package io.streaminfer.job;

import io.streaminfer.generation.DecoderModel;
import io.streaminfer.generation.TokenText;
import java.util.Arrays;

/**
 * The reference a batched generation is held to: the model decoding one sequence alone, greedily, with no engine, no
 * batch and no padding. {@link #decode} also says how close the top two logits were at each step, so a difference
 * with a batched run can be told apart: a near-tie that floating point in another batch shape may flip, or a bug.
 */
final class AloneDecoder {
    /** The tokens, and the smallest gap between the best and second-best logit over the steps. */
    record Greedy(int[] tokens, float[] gaps) { }

    private final DecoderModel model;
    private final TokenText text;

    AloneDecoder(DecoderModel model, TokenText text) {
        this.model = model;
        this.text = text;
    }

    Greedy decode(int[] prompt, int maxTokens) {
        int vocab = model.vocabularySize();
        int[] out = new int[maxTokens];
        float[] gaps = new float[maxTokens];
        int n = 0;
        try (DecoderModel.Cache c = model.newCache()) {
            float[] logits = model.extend(c, prompt, 0);
            int position = prompt.length;
            while (true) {
                int best = 0;
                int second = -1;
                for (int t = 1; t < vocab; t++) {
                    if (logits[t] > logits[best]) {
                        second = best;
                        best = t;
                    } else if (second < 0 || logits[t] > logits[second]) {
                        second = t;
                    }
                }
                gaps[n] = logits[best] - logits[second];
                out[n++] = best;
                if (text.endsSequence(best) || n == maxTokens || position >= model.contextLength()) {
                    break;
                }
                logits = model.step(c, new int[] {best}, new int[] {position++});
            }
        }
        return new Greedy(Arrays.copyOf(out, n), Arrays.copyOf(gaps, n));
    }
}
