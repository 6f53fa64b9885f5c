package io.streaminfer.job.bench;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.runtime.RequestPreparer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A generation workload from real text: prompts are passages of the State of the Union corpus ({@link RealTexts},
 * 2 to 875 words), cut to {@code maxPromptTokens}; output lengths are drawn from a log-normal distribution (median
 * {@value #MEDIAN_TOKENS} tokens, sigma {@value #SIGMA}: p90 about 115, p99 about 330), clipped to [{@value
 * #MIN_TOKENS}, {@code maxOutputTokens}] and to what the context leaves, and generated exactly that long
 * ({@code ignore_eos}, as vLLM's serving benchmark does), so every run does the same work. Seeded.
 */
public final class GenerationWorkload {
    public static final int MEDIAN_TOKENS = 32;
    public static final double SIGMA = 1.0;
    public static final int MIN_TOKENS = 4;

    /** One request: its prompt's token ids and how many tokens it generates; {@code text} is the prompt's text. */
    public record Item(String id, String text, int[] prompt, int outputTokens) { }

    private GenerationWorkload() {}

    public static List<Item> build(ModelVersion model, Path modelsDir, int count, int maxPromptTokens,
            int maxOutputTokens, long seed) {
        List<String> texts = RealTexts.load(modelsDir);
        Random random = new Random(seed);
        int context = model.config().generation().contextLength();
        List<Item> items = new ArrayList<>(count);
        try (RequestPreparer preparer = Preparers.load(model)) {
            for (int i = 0; i < count; i++) {
                String text = texts.get(random.nextInt(texts.size()));
                InferenceRequest r = new InferenceRequest("g" + i, Map.of("max_tokens", 1),
                        List.of(Tensor.ofStrings("text_input", text)), null);
                int[] ids;
                try {
                    ids = ((GenerationPrompt) preparer.prepare(r).payload()).tokens();
                } catch (RuntimeException e) {
                    ids = new int[0]; // longer than the context: cut below from its first words
                }
                if (ids.length == 0 || ids.length > maxPromptTokens) {
                    String cut = text.substring(0, Math.min(text.length(), maxPromptTokens * 3));
                    r = new InferenceRequest("g" + i, Map.of("max_tokens", 1),
                            List.of(Tensor.ofStrings("text_input", cut)), null);
                    ids = ((GenerationPrompt) preparer.prepare(r).payload()).tokens();
                    ids = Arrays.copyOf(ids, Math.min(ids.length, maxPromptTokens));
                }
                long drawn = Math.round(MEDIAN_TOKENS * Math.exp(SIGMA * random.nextGaussian()));
                int out = (int) Math.max(MIN_TOKENS, Math.min(Math.min(maxOutputTokens, context - ids.length), drawn));
                items.add(new Item("g" + i, text, ids, out));
            }
        }
        return items;
    }

    /** Percentiles of the items' prompt and output lengths, for the benchmark's header. */
    public static String describe(List<Item> items) {
        long[] prompt = items.stream().mapToLong(i -> i.prompt().length).sorted().toArray();
        long[] out = items.stream().mapToLong(Item::outputTokens).sorted().toArray();
        return String.format("%d requests; prompt tokens p50 %d, p90 %d, max %d; output tokens p50 %d, p90 %d, "
                + "p99 %d, max %d (%d in all)", items.size(), at(prompt, 50), at(prompt, 90), prompt[prompt.length - 1],
                at(out, 50), at(out, 90), at(out, 99), out[out.length - 1], Arrays.stream(out).sum());
    }

    private static long at(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
