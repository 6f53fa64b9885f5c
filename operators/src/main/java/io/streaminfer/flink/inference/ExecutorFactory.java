package io.streaminfer.flink.inference;

import io.streaminfer.batching.BatchExecutor;
import io.streaminfer.contract.model.ModelVersion;
import java.io.Serializable;

/**
 * Makes the executor of a model version in place of a loaded replica: the no-op model of the pipeline benchmark,
 * and fakes in tests of the batching operator. Production loads real replicas and needs none.
 */
@FunctionalInterface
public interface ExecutorFactory extends Serializable {
    BatchExecutor create(ModelVersion version);

    /** Answers every request at once with an empty response: the pipeline's own ceiling, no model. */
    static ExecutorFactory noOp() {
        return v -> new NoOpExecutor(v.name(), v.version());
    }
}
