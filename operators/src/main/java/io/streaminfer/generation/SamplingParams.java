package io.streaminfer.generation;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * How one sequence picks its tokens and when it stops. Immutable; {@link Builder#build()} lists every problem at once.
 *
 * <pre>{@code
 * SamplingParams p = SamplingParams.builder()
 *         .maxTokens(128)            // required: new tokens at most (the model's context may end it sooner)
 *         .temperature(0.8)          // default 1.0; 0 is greedy
 *         .topP(0.95).topK(40)       // defaults 1.0 and 0 (off)
 *         .seed(7)                   // default: none (a random seed per sequence)
 *         .stop(List.of("\n\n"))     // default none: the text ends before the first stop sequence
 *         .minTokens(0)              // vLLM's: end-of-sequence tokens are not picked before this many tokens
 *         .ignoreEos(false)          // vLLM's: an end-of-sequence token does not end the sequence
 *         .build();
 * }</pre>
 */
public final class SamplingParams {
    /** Stop sequences per request at most, as OpenAI allows. */
    public static final int MAX_STOP_SEQUENCES = 4;

    private final int maxTokens;
    private final double temperature;
    private final double topP;
    private final int topK;
    private final OptionalLong seed;
    private final List<String> stop;
    private final int minTokens;
    private final boolean ignoreEos;

    private SamplingParams(Builder b) {
        this.maxTokens = b.maxTokens;
        this.temperature = b.temperature;
        this.topP = b.topP;
        this.topK = b.topK;
        this.seed = b.seed;
        this.stop = List.copyOf(b.stop);
        this.minTokens = b.minTokens;
        this.ignoreEos = b.ignoreEos;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, to change some. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxTokens = maxTokens;
        b.temperature = temperature;
        b.topP = topP;
        b.topK = topK;
        b.seed = seed;
        b.stop = new ArrayList<>(stop);
        b.minTokens = minTokens;
        b.ignoreEos = ignoreEos;
        return b;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public double temperature() {
        return temperature;
    }

    /** Whether the most likely token is always picked (temperature 0, or top-k 1). */
    public boolean greedy() {
        return temperature == 0 || topK == 1;
    }

    public double topP() {
        return topP;
    }

    /** 0 when off. */
    public int topK() {
        return topK;
    }

    public OptionalLong seed() {
        return seed;
    }

    public List<String> stop() {
        return stop;
    }

    public int minTokens() {
        return minTokens;
    }

    public boolean ignoreEos() {
        return ignoreEos;
    }

    @Override
    public String toString() {
        return "SamplingParams{maxTokens=" + maxTokens + ", temperature=" + temperature + ", topP=" + topP + ", topK="
                + topK + ", seed=" + seed + ", stop=" + stop + ", minTokens=" + minTokens + ", ignoreEos=" + ignoreEos
                + "}";
    }

    public static final class Builder {
        private int maxTokens = -1;
        private double temperature = 1.0;
        private double topP = 1.0;
        private int topK;
        private OptionalLong seed = OptionalLong.empty();
        private List<String> stop = new ArrayList<>();
        private int minTokens;
        private boolean ignoreEos;

        private Builder() {}

        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder topP(double topP) {
            this.topP = topP;
            return this;
        }

        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = OptionalLong.of(seed);
            return this;
        }

        public Builder noSeed() {
            this.seed = OptionalLong.empty();
            return this;
        }

        public Builder stop(List<String> stop) {
            this.stop = new ArrayList<>(stop);
            return this;
        }

        public Builder minTokens(int minTokens) {
            this.minTokens = minTokens;
            return this;
        }

        public Builder ignoreEos(boolean ignoreEos) {
            this.ignoreEos = ignoreEos;
            return this;
        }

        /** The problems with these values, each saying what to change; empty when they are valid. */
        public List<String> problems() {
            List<String> problems = new ArrayList<>();
            if (maxTokens < 1) {
                problems.add("max_tokens must be at least 1, got " + maxTokens);
            }
            if (!(temperature >= 0 && temperature <= 100)) {
                problems.add("temperature must be between 0 and 100 (0 is greedy), got " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                problems.add("top_p must be in (0, 1], got " + topP);
            }
            if (topK < 0) {
                problems.add("top_k must be 0 (off) or positive, got " + topK);
            }
            if (minTokens < 0) {
                problems.add("min_tokens must be 0 or more, got " + minTokens);
            } else if (maxTokens >= 1 && minTokens > maxTokens) {
                problems.add("min_tokens (" + minTokens + ") must not exceed max_tokens (" + maxTokens + ")");
            }
            if (stop.size() > MAX_STOP_SEQUENCES) {
                problems.add("stop takes at most " + MAX_STOP_SEQUENCES + " sequences, got " + stop.size());
            }
            for (String s : stop) {
                if (s == null || s.isEmpty()) {
                    problems.add("stop sequences must be non-empty strings");
                    break;
                }
            }
            return problems;
        }

        /** @throws IllegalArgumentException listing every problem */
        public SamplingParams build() {
            List<String> problems = problems();
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(String.join("; ", problems));
            }
            return new SamplingParams(this);
        }
    }
}
