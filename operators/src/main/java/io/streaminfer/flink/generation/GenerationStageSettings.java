package io.streaminfer.flink.generation;

import io.streaminfer.contract.model.ModelSelection;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the generation step of the job needs: where the models are and which it serves, where deltas go and cancels
 * come from, and how far back a restored subtask reads what was published.
 *
 * <pre>{@code
 * GenerationStageSettings settings = GenerationStageSettings.builder()
 *         .jobName("streaminfer")                 // names the token writers' transactions
 *         .modelsDir("/models")
 *         .models(ModelSelection.only(List.of("sotu-gpt")))   // default: every generative model of the repository
 *         .tokenLog(kafkaTokenLog)                // required
 *         .cancelFeed(kafkaCancelFeed)            // required
 *         .readBack(Duration.ofMinutes(10))       // default 10 min: on a start without state, what is read back
 *         .build();
 * }</pre>
 */
public final class GenerationStageSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String jobName;
    private final String modelsDir;
    private final ModelSelection models;
    private final TokenLog tokenLog;
    private final CancelFeed cancelFeed;
    private final long readBackMillis;

    private GenerationStageSettings(Builder b) {
        this.jobName = b.jobName;
        this.modelsDir = b.modelsDir;
        this.models = b.models;
        this.tokenLog = b.tokenLog;
        this.cancelFeed = b.cancelFeed;
        this.readBackMillis = b.readBack.toMillis();
    }

    public static Builder builder() {
        return new Builder();
    }

    public String jobName() {
        return jobName;
    }

    public String modelsDir() {
        return modelsDir;
    }

    /** The models served (those of them that are generative run here). */
    public ModelSelection models() {
        return models;
    }

    public TokenLog tokenLog() {
        return tokenLog;
    }

    public CancelFeed cancelFeed() {
        return cancelFeed;
    }

    /**
     * How far back a subtask that starts without state reads the token and control topics: a job that failed
     * before its first checkpoint re-reads its input and re-runs what it had started.
     */
    public long readBackMillis() {
        return readBackMillis;
    }

    public static final class Builder {
        private String jobName;
        private String modelsDir;
        private ModelSelection models = ModelSelection.all();
        private TokenLog tokenLog;
        private CancelFeed cancelFeed;
        private Duration readBack = Duration.ofMinutes(10);

        private Builder() {}

        public Builder jobName(String jobName) {
            this.jobName = jobName;
            return this;
        }

        public Builder modelsDir(String modelsDir) {
            this.modelsDir = modelsDir;
            return this;
        }

        /** Serves only these models (those of them that are generative); default all. */
        public Builder models(ModelSelection models) {
            this.models = Objects.requireNonNull(models, "models");
            return this;
        }

        public Builder tokenLog(TokenLog tokenLog) {
            this.tokenLog = tokenLog;
            return this;
        }

        public Builder cancelFeed(CancelFeed cancelFeed) {
            this.cancelFeed = cancelFeed;
            return this;
        }

        public Builder readBack(Duration readBack) {
            this.readBack = readBack;
            return this;
        }

        public GenerationStageSettings build() {
            List<String> problems = new ArrayList<>();
            if (jobName == null || jobName.isBlank()) {
                problems.add("jobName is required (it names the token writers' transactions)");
            }
            if (modelsDir == null) {
                problems.add("modelsDir is required");
            }
            if (tokenLog == null) {
                problems.add("tokenLog is required (where streamed text goes)");
            }
            if (cancelFeed == null) {
                problems.add("cancelFeed is required (where cancels come from)");
            }
            if (readBack == null || readBack.isNegative()) {
                problems.add("readBack must be zero or positive, got " + readBack);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid generation settings: " + String.join("; ", problems));
            }
            return new GenerationStageSettings(this);
        }
    }
}
