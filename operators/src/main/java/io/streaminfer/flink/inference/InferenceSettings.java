package io.streaminfer.flink.inference;

import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelSelection;
import io.streaminfer.tracing.TracingSettings;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the inference function needs to load and batch its models. Serializable: it travels with the job graph.
 *
 * <pre>{@code
 * InferenceSettings s = InferenceSettings.builder()
 *         .modelsDir("/models")
 *         .models(Set.of("all-minilm-l6-v2"))   // default: every model of the repository
 *         .batching("all-minilm-l6-v2", BatchingSettings.builder().maxBatchCost(2048).build())
 *         .maxInFlightBytes(256L << 20)   // what requests in flight may hold, per subtask
 *         .timeoutMs(600_000)             // the safety net: a request without a result after this fails
 *         .retries(2).retryDelayMs(100)   // transient faults of ours (INTERNAL, OVERLOADED) are tried again
 *         .build();
 * }</pre>
 */
public final class InferenceSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String modelsDir;
    private final ModelSelection models;
    private final ReplicaSource replicas;
    private final Map<String, BatchingSettings> batching;
    private final BatchingSettings defaultBatching;
    private final String device;
    private final Integer workers;
    private final long timeoutMs;
    private final int retries;
    private final long retryDelayMs;
    private final long maxInFlightBytes;
    private final TracingSettings tracing;

    private InferenceSettings(Builder b) {
        this.modelsDir = b.modelsDir;
        this.models = b.models;
        this.replicas = b.replicas;
        this.batching = Map.copyOf(b.batching);
        this.defaultBatching = b.defaultBatching;
        this.device = b.device;
        this.workers = b.workers;
        this.timeoutMs = b.timeoutMs;
        this.retries = b.retries;
        this.retryDelayMs = b.retryDelayMs;
        this.maxInFlightBytes = b.maxInFlightBytes;
        this.tracing = b.tracing;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** These settings with another selection of models. */
    public InferenceSettings withModels(ModelSelection selection) {
        Builder b = new Builder();
        b.modelsDir = modelsDir;
        b.models = Objects.requireNonNull(selection, "selection");
        b.replicas = replicas;
        b.batching.putAll(batching);
        b.defaultBatching = defaultBatching;
        b.device = device;
        b.workers = workers;
        b.timeoutMs = timeoutMs;
        b.retries = retries;
        b.retryDelayMs = retryDelayMs;
        b.maxInFlightBytes = maxInFlightBytes;
        b.tracing = tracing;
        return b.build();
    }

    public String modelsDir() {
        return modelsDir;
    }

    /** The models served (a graph's steps' models included). */
    public ModelSelection models() {
        return models;
    }

    /** Where the replicas come from: loaded with DJL, unless a benchmark or test stands in for the models. */
    public ReplicaSource replicas() {
        return replicas;
    }

    public BatchingSettings batching(String model) {
        return batching.getOrDefault(model, defaultBatching);
    }

    /** auto, cpu, gpu:N, or null for each model's own; a GPU that Flink assigns to the task wins over both. */
    public String device() {
        return device;
    }

    public Integer workers() {
        return workers;
    }

    /**
     * The async operator's timeout: only a safety net. Requests do not fail for waiting (the queue is bounded in work
     * and a watchdog guards each model call), so reaching it means something is stuck; it ends FAILED with TIMEOUT.
     */
    public long timeoutMs() {
        return timeoutMs;
    }

    /** How many more times a request that ended with a transient fault of ours is submitted again. */
    public int retries() {
        return retries;
    }

    /** The wait before each further try. */
    public long retryDelayMs() {
        return retryDelayMs;
    }

    /** Bytes that requests in flight in one subtask may hold: payloads, prepared inputs, results. */
    public long maxInFlightBytes() {
        return maxInFlightBytes;
    }

    /** Whether the operators that run models trace requests ({@code io.streaminfer.flink.tracing}); off by default. */
    public TracingSettings tracing() {
        return tracing;
    }

    public static final class Builder {
        private String modelsDir;
        private ModelSelection models = ModelSelection.all();
        private ReplicaSource replicas = ReplicaSource.loaded();
        private final HashMap<String, BatchingSettings> batching = new HashMap<>();
        private BatchingSettings defaultBatching = BatchingSettings.builder().build();
        private String device;
        private Integer workers;
        private long timeoutMs = 600_000;
        private int retries = 2;
        private long retryDelayMs = 100;
        private long maxInFlightBytes = 256L << 20;
        private TracingSettings tracing = TracingSettings.off();

        public Builder modelsDir(String dir) {
            this.modelsDir = dir;
            return this;
        }

        /** Only these models (at least one); by default every model of the repository. */
        public Builder models(Set<String> names) {
            return models(ModelSelection.only(names));
        }

        public Builder models(ModelSelection models) {
            this.models = Objects.requireNonNull(models, "models");
            return this;
        }

        /** Stand-ins for the models (benchmarks, tests); by default the models are loaded. */
        public Builder replicas(ReplicaSource source) {
            this.replicas = Objects.requireNonNull(source, "replicas");
            return this;
        }

        public Builder batching(String model, BatchingSettings settings) {
            batching.put(model, Objects.requireNonNull(settings));
            return this;
        }

        public Builder defaultBatching(BatchingSettings settings) {
            this.defaultBatching = Objects.requireNonNull(settings);
            return this;
        }

        public Builder device(String device) {
            this.device = device;
            return this;
        }

        public Builder workers(Integer workers) {
            this.workers = workers;
            return this;
        }

        public Builder timeoutMs(long timeoutMs) {
            this.timeoutMs = timeoutMs;
            return this;
        }

        public Builder retries(int retries) {
            this.retries = retries;
            return this;
        }

        public Builder retryDelayMs(long delayMs) {
            this.retryDelayMs = delayMs;
            return this;
        }

        public Builder maxInFlightBytes(long bytes) {
            this.maxInFlightBytes = bytes;
            return this;
        }

        public Builder tracing(TracingSettings tracing) {
            this.tracing = Objects.requireNonNull(tracing, "tracing");
            return this;
        }

        public InferenceSettings build() {
            Objects.requireNonNull(modelsDir, "modelsDir is required: the model repository folder");
            if (timeoutMs < 1) {
                throw new IllegalArgumentException("timeout must be >= 1 ms, got " + timeoutMs);
            }
            if (retries < 0 || retryDelayMs < 0) {
                throw new IllegalArgumentException("retries and retry delay must be >= 0, got " + retries + " and "
                        + retryDelayMs + " ms");
            }
            if (maxInFlightBytes < 1) {
                throw new IllegalArgumentException("max in-flight bytes must be >= 1, got " + maxInFlightBytes);
            }
            if (workers != null && workers < 1) {
                throw new IllegalArgumentException("workers must be >= 1, got " + workers);
            }
            if (device != null) {
                DeviceSpec.parse(device);
            }
            return new InferenceSettings(this);
        }
    }
}
