package io.streaminfer.generation;

import java.util.Arrays;
import java.util.Objects;

/**
 * One sequence to generate: its prompt as token ids, how to sample, and what the caller allows.
 *
 * <pre>{@code
 * GenerationRequest r = GenerationRequest.builder("req-1", promptIds, params)
 *         .deadlineMs(System.currentTimeMillis() + 30_000)   // default: none
 *         .priority(1)                                       // default: the lowest (lower runs first)
 *         .stream(true)                                      // default false: no deltas, only the result
 *         .resume(Resume.of(publishedIds, 12))               // after a failover: continue what was published
 *         .build();
 * }</pre>
 */
public final class GenerationRequest {
    private final String id;
    private final int[] prompt;
    private final SamplingParams params;
    private final long deadlineMs;
    private final int priority;
    private final boolean stream;
    private final Resume resume;

    private GenerationRequest(Builder b) {
        this.id = b.id;
        this.prompt = b.prompt;
        this.params = b.params;
        this.deadlineMs = b.deadlineMs;
        this.priority = b.priority;
        this.stream = b.stream;
        this.resume = b.resume;
    }

    public static Builder builder(String id, int[] prompt, SamplingParams params) {
        return new Builder(id, prompt, params);
    }

    public String id() {
        return id;
    }

    /** The prompt's token ids; not to be changed. */
    public int[] prompt() {
        return prompt;
    }

    public SamplingParams params() {
        return params;
    }

    /** Epoch milliseconds after which the caller has no use for more text; {@link Long#MAX_VALUE} when none. */
    public long deadlineMs() {
        return deadlineMs;
    }

    /** Lower runs first; requests of one priority run in arrival order. */
    public int priority() {
        return priority;
    }

    /** Whether the listener gets this sequence's text as it is generated. */
    public boolean stream() {
        return stream;
    }

    public Resume resume() {
        return resume;
    }

    /** A builder with these values, e.g. to set what a failover found published. */
    public Builder toBuilder() {
        return new Builder(id, prompt, params).deadlineMs(deadlineMs).priority(priority).stream(stream)
                .resume(resume);
    }

    @Override
    public String toString() {
        return "GenerationRequest{" + id + ", " + prompt.length + " prompt tokens, " + params
                + (resume.tokens().length > 0 ? ", resuming after " + resume.tokens().length + " tokens" : "") + "}";
    }

    /**
     * What of this sequence was published before a failover: the tokens its deltas carried, in order, and the
     * sequence number of the next delta. The engine feeds them after the prompt as a forced prefix, so the text it
     * goes on with continues what readers saw, whatever the new batch's floating point would have picked.
     */
    public record Resume(int[] tokens, int nextSeq) {
        public static final Resume NONE = new Resume(new int[0], 0);

        public Resume {
            Objects.requireNonNull(tokens, "tokens");
            if (nextSeq < 0) {
                throw new IllegalArgumentException("nextSeq must be >= 0, got " + nextSeq);
            }
        }

        public static Resume of(int[] tokens, int nextSeq) {
            return tokens.length == 0 && nextSeq == 0 ? NONE : new Resume(tokens, nextSeq);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Resume r && nextSeq == r.nextSeq && Arrays.equals(tokens, r.tokens);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(tokens) + nextSeq;
        }

        @Override
        public String toString() {
            return "Resume{" + tokens.length + " tokens, next seq " + nextSeq + "}";
        }
    }

    public static final class Builder {
        private final String id;
        private final int[] prompt;
        private final SamplingParams params;
        private long deadlineMs = Long.MAX_VALUE;
        private int priority = Integer.MAX_VALUE;
        private boolean stream;
        private Resume resume = Resume.NONE;

        private Builder(String id, int[] prompt, SamplingParams params) {
            this.id = Objects.requireNonNull(id, "id");
            this.prompt = Objects.requireNonNull(prompt, "prompt");
            this.params = Objects.requireNonNull(params, "params");
        }

        public Builder deadlineMs(long deadlineMs) {
            this.deadlineMs = deadlineMs;
            return this;
        }

        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder stream(boolean stream) {
            this.stream = stream;
            return this;
        }

        public Builder resume(Resume resume) {
            this.resume = Objects.requireNonNull(resume, "resume");
            return this;
        }

        public GenerationRequest build() {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("request " + id + ": the prompt has no tokens");
            }
            return new GenerationRequest(this);
        }
    }
}
