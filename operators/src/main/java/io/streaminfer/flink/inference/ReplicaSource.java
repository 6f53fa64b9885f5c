package io.streaminfer.flink.inference;

import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.RuntimeOptions;
import java.io.Serializable;

/**
 * Where a subtask's model replicas come from: loaded with DJL ({@link #loaded()}, production), or a stand-in that
 * loads nothing: the no-op model of the pipeline benchmark, the GPU stand-in, and fakes in tests of the operators.
 * Serializable: it travels with the job graph.
 *
 * <pre>{@code
 * InferenceSettings.builder().modelsDir(dir).replicas(ReplicaSource.noOp()).build();
 * }</pre>
 */
@FunctionalInterface
public interface ReplicaSource extends Serializable {
    /**
     * One replica of {@code version}; {@code options} hold the subtask's device, workers (null: the model's own)
     * and the listener its calls report to.
     */
    ModelReplica create(ModelVersion version, RuntimeOptions options);

    /** The model itself, loaded with DJL on the subtask's device. */
    static ReplicaSource loaded() {
        return ModelRuntime::loadReplica;
    }

    /** Answers every request at once with an empty response: the pipeline's own ceiling, no model. */
    static ReplicaSource noOp() {
        return (v, options) -> new NoOpReplica(v,
                options.workersOverride() == null ? v.config().workers() : options.workersOverride());
    }

    /**
     * Takes, per pass, the time an H100 takes for a MiniLM-sized encoder ({@link GpuStandInReplica}): whether the
     * pipeline keeps a GPU busy, on a machine without one. One worker per replica: one GPU.
     */
    static ReplicaSource gpu() {
        return (v, options) -> new GpuStandInReplica(v, 1);
    }
}
