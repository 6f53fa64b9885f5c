package io.streaminfer.flink.topology;

import io.streaminfer.contract.model.ModelSelection;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.ingest.PreparerFactory;
import io.streaminfer.flink.status.PublishedFinals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link InferenceTopology} needs to assemble the job's operators, typed and checked: every problem is reported
 * at once by {@link Builder#build()}, saying what to change.
 *
 * <pre>{@code
 * TopologySettings settings = TopologySettings.builder()
 *         .inference(InferenceSettings.builder().modelsDir("/models").build())  // batching, device, safety net
 *         .servedModels(ModelSelection.only(Set.of("all-minilm-l6-v2")))      // default: all of the repository
 *         .stateTtl(Duration.ofMinutes(60))            // how long IDs are known (idempotency)
 *         .resultTtl(Duration.ofMinutes(10))           // how long results are kept for replays (<= stateTtl)
 *         .publishedFinals(reader)                     // at-least-once: read back on a restore; default none()
 *         .build();
 * }</pre>
 */
public final class TopologySettings {
    private final InferenceSettings inference;
    private final ModelSelection servedModels;
    private final boolean checkRepository;
    private final int maxRequestBytes;
    private final int asyncCapacity;
    private final Duration stateTtl;
    private final Duration resultTtl;
    private final long acceptedDelayMs;
    private final boolean graphProgress;
    private final PreparerFactory preparers;
    private final PublishedFinals publishedFinals;

    private TopologySettings(Builder b) {
        this.inference = b.inference;
        this.servedModels = b.servedModels;
        this.checkRepository = b.checkRepository;
        this.maxRequestBytes = b.maxRequestBytes;
        this.asyncCapacity = b.asyncCapacity;
        this.stateTtl = b.stateTtl;
        this.resultTtl = b.resultTtl == null ? b.stateTtl : b.resultTtl;
        this.acceptedDelayMs = b.acceptedDelayMs;
        this.graphProgress = b.graphProgress;
        this.preparers = b.preparers;
        this.publishedFinals = b.publishedFinals;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * How models are loaded, batched and called. Its model selection is not read: the topology derives the models to
     * load from {@link #servedModels()} and the graphs served.
     */
    public InferenceSettings inference() {
        return inference;
    }

    /** The models (and graphs) whose requests the job takes; others are rejected UNKNOWN_MODEL. */
    public ModelSelection servedModels() {
        return servedModels;
    }

    /**
     * Whether the model repository is read where the topology is assembled (to check the served models and to plan
     * the graphs); without it no graph is served.
     */
    public boolean checkRepository() {
        return checkRepository;
    }

    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    /** Requests in flight per async subtask, as Flink's async operators count them. */
    public int asyncCapacity() {
        return asyncCapacity;
    }

    /** How long request IDs and their final states are kept (idempotency, replays). */
    public Duration stateTtl() {
        return stateTtl;
    }

    /** How long a success's result is kept to answer a replay; at most {@link #stateTtl()}, 0: not at all. */
    public Duration resultTtl() {
        return resultTtl;
    }

    /** 0: ACCEPTED is published at once; above: only for requests without a newer status after this long. */
    public long acceptedDelayMs() {
        return acceptedDelayMs;
    }

    /** Whether graph requests publish RUNNING progress per step. */
    public boolean graphProgress() {
        return graphProgress;
    }

    /** How requests are prepared for their model, once, where they are parsed. */
    public PreparerFactory preparers() {
        return preparers;
    }

    /** What a restore reads back of the final states published after the last checkpoint. */
    public PublishedFinals publishedFinals() {
        return publishedFinals;
    }

    public static final class Builder {
        private InferenceSettings inference;
        private ModelSelection servedModels = ModelSelection.all();
        private boolean checkRepository = true;
        private int maxRequestBytes = 4 << 20;
        private int asyncCapacity = 1024;
        private Duration stateTtl = Duration.ofMinutes(60);
        private Duration resultTtl;
        private long acceptedDelayMs;
        private boolean graphProgress = true;
        private PreparerFactory preparers = PreparerFactory.real();
        private PublishedFinals publishedFinals = PublishedFinals.none();

        private Builder() {}

        public Builder inference(InferenceSettings inference) {
            this.inference = inference;
            return this;
        }

        public Builder servedModels(ModelSelection served) {
            this.servedModels = served;
            return this;
        }

        public Builder checkRepository(boolean check) {
            this.checkRepository = check;
            return this;
        }

        public Builder maxRequestBytes(int bytes) {
            this.maxRequestBytes = bytes;
            return this;
        }

        public Builder asyncCapacity(int capacity) {
            this.asyncCapacity = capacity;
            return this;
        }

        public Builder stateTtl(Duration ttl) {
            this.stateTtl = ttl;
            return this;
        }

        /** Default: the state TTL (results kept as long as their IDs). */
        public Builder resultTtl(Duration ttl) {
            this.resultTtl = ttl;
            return this;
        }

        public Builder acceptedDelayMs(long delayMs) {
            this.acceptedDelayMs = delayMs;
            return this;
        }

        public Builder graphProgress(boolean progress) {
            this.graphProgress = progress;
            return this;
        }

        public Builder preparers(PreparerFactory preparers) {
            this.preparers = preparers;
            return this;
        }

        public Builder publishedFinals(PublishedFinals reader) {
            this.publishedFinals = reader;
            return this;
        }

        /** Checks every setting; one exception lists every problem. */
        public TopologySettings build() {
            List<String> p = new ArrayList<>();
            if (inference == null) {
                p.add("inference settings are required (InferenceSettings.builder().modelsDir(...).build())");
            }
            if (servedModels == null) {
                p.add("served models are required: ModelSelection.all() or ModelSelection.only(names)");
            }
            if (maxRequestBytes < 1) {
                p.add("max request bytes must be >= 1, got " + maxRequestBytes);
            }
            if (asyncCapacity < 1) {
                p.add("async capacity must be >= 1, got " + asyncCapacity);
            }
            if (stateTtl == null || stateTtl.toMillis() < 1) {
                p.add("state TTL must be positive, got " + stateTtl);
            } else if (resultTtl != null && (resultTtl.isNegative() || resultTtl.compareTo(stateTtl) > 0)) {
                p.add("result TTL must be within 0..state TTL (" + stateTtl + "), got " + resultTtl);
            }
            if (acceptedDelayMs < 0) {
                p.add("accepted delay must be >= 0 ms, got " + acceptedDelayMs);
            }
            if (preparers == null || publishedFinals == null) {
                p.add("preparers and published finals are required (PreparerFactory.real(), PublishedFinals.none())");
            }
            if (!p.isEmpty()) {
                throw new IllegalArgumentException("invalid topology settings (" + p.size() + " problem(s)):\n  - "
                        + String.join("\n  - ", p));
            }
            return new TopologySettings(this);
        }
    }
}
