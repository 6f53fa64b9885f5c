package io.streaminfer.generation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The budgets of a {@link GenerationEngine}: how many sequences decode together, how many tokens one step may run
 * (so a long prompt's prefill is cut into chunks and never stalls the running sequences for more than one chunk),
 * how much key/value cache the sequences may hold, and how many may wait.
 *
 * <pre>{@code
 * EngineConfig config = EngineConfig.builder()
 *         .name("sotu-gpt")                  // thread name and logs
 *         .maxRunning(32)                    // default 32: sequences in the running batch
 *         .stepTokens(256)                   // default 256: tokens one step runs, decoding rows and prefill together
 *         .minPrefillTokens(16)              // default 16: prefill a step runs even when decoding rows fill it
 *         .kvCacheBytes(256L << 20)          // default 256 MiB: key/value cache of all sequences, worst case
 *         .maxWaiting(256)                   // default 256: sequences waiting for admission before submit blocks
 *         .watchdog(Duration.ofSeconds(60))  // default 60 s: a model call longer than this fails the engine
 *         .build();
 * }</pre>
 */
public final class EngineConfig {
    private final String name;
    private final int maxRunning;
    private final int stepTokens;
    private final int minPrefillTokens;
    private final long kvCacheBytes;
    private final int maxWaiting;
    private final Duration watchdog;

    private EngineConfig(Builder b) {
        this.name = b.name;
        this.maxRunning = b.maxRunning;
        this.stepTokens = b.stepTokens;
        this.minPrefillTokens = b.minPrefillTokens;
        this.kvCacheBytes = b.kvCacheBytes;
        this.maxWaiting = b.maxWaiting;
        this.watchdog = b.watchdog;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String name() {
        return name;
    }

    /** Sequences that decode together at most (prefilling ones count too). */
    public int maxRunning() {
        return maxRunning;
    }

    /**
     * Tokens one step runs at most: one per decoding row, the rest for prefill chunks. This bounds how long a step
     * takes, and so how long a long prompt can hold up the tokens of the running sequences.
     */
    public int stepTokens() {
        return stepTokens;
    }

    /**
     * Prefill tokens a step runs even when the decoding rows take all of {@link #stepTokens()}: prefill never
     * starves.
     */
    public int minPrefillTokens() {
        return minPrefillTokens;
    }

    /**
     * Key/value cache the admitted sequences may need at most: a sequence is admitted only when the batch would
     * still fit if every sequence ran to its {@code max_tokens}, so no running sequence is ever preempted.
     */
    public long kvCacheBytes() {
        return kvCacheBytes;
    }

    /** Sequences that may wait for admission; {@link GenerationEngine#awaitRoom()} blocks beyond it. */
    public int maxWaiting() {
        return maxWaiting;
    }

    /** A single model call that takes longer than this fails the engine (its host restarts it). */
    public Duration watchdog() {
        return watchdog;
    }

    @Override
    public String toString() {
        return "maxRunning=" + maxRunning + ", stepTokens=" + stepTokens + ", minPrefillTokens=" + minPrefillTokens
                + ", kvCacheBytes=" + kvCacheBytes + ", maxWaiting=" + maxWaiting + ", watchdog=" + watchdog;
    }

    public static final class Builder {
        private String name = "generation";
        private int maxRunning = 32;
        private int stepTokens = 256;
        private int minPrefillTokens = 16;
        private long kvCacheBytes = 256L << 20;
        private int maxWaiting = 256;
        private Duration watchdog = Duration.ofSeconds(60);

        private Builder() {}

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder maxRunning(int maxRunning) {
            this.maxRunning = maxRunning;
            return this;
        }

        public Builder stepTokens(int stepTokens) {
            this.stepTokens = stepTokens;
            return this;
        }

        public Builder minPrefillTokens(int minPrefillTokens) {
            this.minPrefillTokens = minPrefillTokens;
            return this;
        }

        public Builder kvCacheBytes(long kvCacheBytes) {
            this.kvCacheBytes = kvCacheBytes;
            return this;
        }

        public Builder maxWaiting(int maxWaiting) {
            this.maxWaiting = maxWaiting;
            return this;
        }

        public Builder watchdog(Duration watchdog) {
            this.watchdog = watchdog;
            return this;
        }

        /** Every problem, each saying what to change; empty when valid. */
        public List<String> problems() {
            List<String> p = new ArrayList<>();
            if (name == null || name.isBlank()) {
                p.add("name must be set");
            }
            if (maxRunning < 1 || maxRunning > 4096) {
                p.add("maxRunning must be between 1 and 4096, got " + maxRunning);
            }
            if (stepTokens < 1) {
                p.add("stepTokens must be at least 1, got " + stepTokens);
            }
            if (minPrefillTokens < 1 || minPrefillTokens > stepTokens) {
                p.add("minPrefillTokens must be between 1 and stepTokens (" + stepTokens + "), got "
                        + minPrefillTokens);
            }
            if (kvCacheBytes < 1) {
                p.add("kvCacheBytes must be positive, got " + kvCacheBytes);
            }
            if (maxWaiting < 1) {
                p.add("maxWaiting must be at least 1, got " + maxWaiting);
            }
            if (watchdog == null || watchdog.isNegative() || watchdog.isZero()) {
                p.add("watchdog must be a positive duration, got " + watchdog);
            }
            return p;
        }

        public EngineConfig build() {
            List<String> p = problems();
            if (!p.isEmpty()) {
                throw new IllegalArgumentException("invalid generation engine config: " + String.join("; ", p));
            }
            return new EngineConfig(this);
        }
    }
}
