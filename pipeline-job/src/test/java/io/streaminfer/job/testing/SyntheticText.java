package io.streaminfer.job.testing;

import java.util.Random;

/** Deterministic English-like sentences of a given word count, for benchmarks. */
public final class SyntheticText {
    private static final String[] WORDS = ("the a man woman child dog cat city river market stream model request "
            + "batch kafka flink latency throughput graph state checkpoint window event time record queue worker "
            + "is was will be eating playing running reading writing sending waiting sleeping building serving "
            + "quickly slowly today tomorrow yesterday near far under over with without before after because "
            + "bright dark loud quiet small large old new red green blue happy tired busy").split(" ");

    private final Random random;

    public SyntheticText(long seed) {
        this.random = new Random(seed);
    }

    /** A sentence of {@code words} words; MiniLM's tokenizer makes about words + 3 tokens of it. */
    public String sentence(int words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            String w = WORDS[random.nextInt(WORDS.length)];
            sb.append(i == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w);
            sb.append(i + 1 < words ? ' ' : '.');
        }
        return sb.toString();
    }
}
