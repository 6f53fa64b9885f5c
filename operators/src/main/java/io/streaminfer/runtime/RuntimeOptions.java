package io.streaminfer.runtime;

import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelSelection;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * How a {@link ModelRuntime} loads its models.
 *
 * <pre>{@code
 * RuntimeOptions options = RuntimeOptions.builder()
 *         .modelsDir(Path.of("deploy/models"))
 *         .models(Set.of("all-minilm-l6-v2"))   // default: every model in the repository
 *         .device(DeviceSpec.gpu(1))           // default: each model's own 'device'
 *         .build();
 * }</pre>
 */
public final class RuntimeOptions {
    private final Path modelsDir;
    private final ModelSelection models;
    private final DeviceSpec deviceOverride;
    private final Integer workersOverride;
    private final ModelConfig.Threads threads;
    private final RuntimeListener listener;

    private RuntimeOptions(Builder b) {
        this.modelsDir = b.modelsDir;
        this.models = b.models;
        this.deviceOverride = b.device;
        this.workersOverride = b.workers;
        this.threads = b.threads;
        this.listener = b.listener;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path modelsDir() {
        return modelsDir;
    }

    /** The models to load. */
    public ModelSelection models() {
        return models;
    }

    /** A device for every replica, overriding the models' configs (e.g. the GPU Flink gave a task); may be null. */
    public DeviceSpec deviceOverride() {
        return deviceOverride;
    }

    public Integer workersOverride() {
        return workersOverride;
    }

    /** Torch thread settings for the process, overriding the models' own; may be null. */
    public ModelConfig.Threads threads() {
        return threads;
    }

    /** Told about every model call (padding, for metrics); never null. */
    public RuntimeListener listener() {
        return listener;
    }

    public static final class Builder {
        private Path modelsDir;
        private ModelSelection models = ModelSelection.all();
        private DeviceSpec device;
        private Integer workers;
        private ModelConfig.Threads threads;
        private RuntimeListener listener = RuntimeListener.NO_OP;

        public Builder listener(RuntimeListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Builder modelsDir(Path dir) {
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

        public Builder device(DeviceSpec device) {
            this.device = device;
            return this;
        }

        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** libtorch's intra-op and inter-op threads; process-wide, so only the first runtime of a JVM sets them. */
        public Builder threads(int intraOp, int interOp) {
            this.threads = new ModelConfig.Threads(intraOp, interOp);
            return this;
        }

        public RuntimeOptions build() {
            Objects.requireNonNull(modelsDir, "modelsDir is required: the model repository folder");
            if (workers != null && workers < 1) {
                throw new IllegalArgumentException("workers must be >= 1, got " + workers);
            }
            return new RuntimeOptions(this);
        }
    }
}
