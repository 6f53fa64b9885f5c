package io.streaminfer.runtime.internal;

import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.RuntimeListener;

/** Builds the replica that a model's kind calls for. */
public final class ReplicaFactory {
    private ReplicaFactory() {}

    public static ModelReplica load(ModelVersion version, DeviceSpec deviceOverride, Integer workersOverride,
            RuntimeListener listener) {
        DeviceSpec device = deviceOverride != null ? deviceOverride : version.config().device();
        int workers = workersOverride != null ? workersOverride : version.config().workers();
        switch (version.config().kind()) {
            case TEXT_EMBEDDING:
                return new TextEmbeddingReplica(version, device, workers, listener);
            case TENSOR:
                return new TensorReplica(version, device, workers, listener);
            default:
                throw new IllegalArgumentException(version.key() + " is a " + version.config().kind().yamlName()
                        + ": nothing to load");
        }
    }
}
