package io.streaminfer.flink.inference;

import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelReplica;
import java.io.Serializable;

/**
 * Makes the replica of a model version in place of one loaded with DJL: the no-op model of the pipeline benchmark,
 * the GPU stand-in, and fakes in tests of the batching operator. Production loads real replicas and needs none.
 */
@FunctionalInterface
public interface StandInReplicas extends Serializable {
    ModelReplica create(ModelVersion version, int workers);

    /** Answers every request at once with an empty response: the pipeline's own ceiling, no model. */
    static StandInReplicas noOp() {
        return (v, workers) -> new NoOpReplica(v, workers);
    }

    /**
     * Takes, per pass, the time an H100 takes for a MiniLM-sized encoder ({@link GpuStandInReplica}): whether the
     * pipeline keeps a GPU busy, on a machine without one. One worker per replica: one GPU.
     */
    static StandInReplicas gpu() {
        return (v, workers) -> new GpuStandInReplica(v, 1);
    }
}
