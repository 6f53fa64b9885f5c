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
 * 2 to 875 words), cut to their first words that fit in {@code maxPromptTokens}; output lengths are drawn from a log-normal distribution (median
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
                int[] ids = tokens(preparer, text);
                if (ids == null || ids.length > maxPromptTokens) {
                    // Too long: its longest run of first words that fits, so the text and the ids stay one prompt.
                    String[] words = text.split(" ");
                    int lo = 1;
                    int hi = words.length - 1;
                    while (lo < hi) {
                        int mid = (lo + hi + 1) / 2;
                        int[] t = tokens(preparer, String.join(" ", Arrays.copyOf(words, mid)));
                        if (t != null && t.length <= maxPromptTokens) {
                            lo = mid;
                        } else {
                            hi = mid - 1;
                        }
                    }
                    text = String.join(" ", Arrays.copyOf(words, lo));
                    ids = tokens(preparer, text);
                }
                long drawn = Math.round(MEDIAN_TOKENS * Math.exp(SIGMA * random.nextGaussian()));
                int out = (int) Math.max(MIN_TOKENS, Math.min(Math.min(maxOutputTokens, context - ids.length), drawn));
                items.add(new Item("g" + i, text, ids, out));
            }
        }
        return items;
    }

    /** The prompt's token ids as the job's preparer makes them; null when it refuses the text (too long). */
    private static int[] tokens(RequestPreparer preparer, String text) {
        InferenceRequest r = new InferenceRequest("probe", Map.of("max_tokens", 1),
                List.of(Tensor.ofStrings("text_input", text)), null);
        try {
            return ((GenerationPrompt) preparer.prepare(r).payload()).tokens();
        } catch (RuntimeException e) {
            return null;
        }
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
