package io.streaminfer.runtime.internal;

import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelReplica;

/** Builds the replica that a model's kind calls for. */
public final class ReplicaFactory {
    private ReplicaFactory() {}

    public static ModelReplica load(ModelVersion version, DeviceSpec deviceOverride, Integer workersOverride) {
        DeviceSpec device = deviceOverride != null ? deviceOverride : version.config().device();
        int workers = workersOverride != null ? workersOverride : version.config().workers();
        switch (version.config().kind()) {
            case TEXT_EMBEDDING:
                return new TextEmbeddingReplica(version, device, workers);
            case TENSOR:
                return new TensorReplica(version, device, workers);
            default:
                throw new AssertionError(version.config().kind());
        }
    }
}
