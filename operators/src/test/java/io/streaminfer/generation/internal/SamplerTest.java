package io.streaminfer.generation.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.generation.SamplingParams;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private final Sampler sampler = new Sampler(5, new int[] {0});

    @Test
    void greedyPicksTheHighestLogitAndMasksEndOfSequenceWhenTold() {
        SamplingParams greedy = SamplingParams.builder().maxTokens(1).temperature(0).build();
        assertThat(sampler.pick(new float[] {5, 1, 4, 2, 3}, 0, greedy, 1, 0, true)).isEqualTo(0);
        assertThat(sampler.pick(new float[] {5, 1, 4, 2, 3}, 0, greedy, 1, 0, false)).isEqualTo(2);
        assertThat(sampler.pick(new float[] {9, 9, 9, 9, 9, 1, 2, 8, 3, 4}, 5, greedy, 1, 0, true)).isEqualTo(2);
    }

    @Test
    void nanLogitsAreAModelFailure() {
        SamplingParams p = SamplingParams.builder().maxTokens(1).build();
        assertThat(sampler.pick(new float[] {1, Float.NaN, 0, 0, 0}, 0, p, 1, 0, true)).isEqualTo(-1);
    }

    @Test
    void samplingFollowsTheDistributionAndTopKAndTopPCutItsTail() {
        float[] logits = {0, (float) Math.log(4), (float) Math.log(3), (float) Math.log(2), (float) Math.log(1)};
        Map<Integer, Integer> counts = sample(logits, SamplingParams.builder().maxTokens(1).build());
        // probabilities 1/11, 4/11, 3/11, 2/11, 1/11 of 20,000 draws
        assertThat(counts.get(1)).isBetween(7_000, 7_550);
        assertThat(counts.get(0)).isBetween(1_600, 2_050);
        Map<Integer, Integer> topK = sample(logits, SamplingParams.builder().maxTokens(1).topK(2).build());
        assertThat(topK.keySet()).containsOnly(1, 2);
        Map<Integer, Integer> topP = sample(logits, SamplingParams.builder().maxTokens(1).topP(0.6).build());
        assertThat(topP.keySet()).containsOnly(1, 2); // 4/11 + 3/11 = 0.64 >= 0.6
    }

    @Test
    void theDrawDependsOnlyOnTheSeedAndTheTokensIndex() {
        SamplingParams p = SamplingParams.builder().maxTokens(1).build();
        float[] logits = {1, 1, 1, 1, 1};
        int first = sampler.pick(logits.clone(), 0, p, 77, 3, true);
        for (int i = 0; i < 10; i++) {
            assertThat(sampler.pick(logits.clone(), 0, p, 77, 3, true)).isEqualTo(first);
        }
        assertThat(Sampler.uniform(77, 3)).isEqualTo(Sampler.uniform(77, 3)).isNotEqualTo(Sampler.uniform(77, 4));
    }

    private Map<Integer, Integer> sample(float[] logits, SamplingParams p) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            counts.merge(sampler.pick(logits.clone(), 0, p, 2024, i, true), 1, Integer::sum);
        }
        return counts;
    }
}
