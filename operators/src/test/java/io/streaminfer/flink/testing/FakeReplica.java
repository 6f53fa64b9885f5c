package io.streaminfer.flink.testing;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.Preparers;

/** A stand-in replica for tests of operators (not of models): one worker; subclasses say what a batch gives. */
public abstract class FakeReplica implements ModelReplica {
    private final ModelVersion version;

    protected FakeReplica(ModelVersion version) {
        this.version = version;
    }

    @Override
    public ModelVersion model() {
        return version;
    }

    @Override
    public String device() {
        return "test";
    }

    @Override
    public int workers() {
        return 1;
    }

    @Override
    public PreparedRequest prepare(InferenceRequest request) {
        return Preparers.validating(version).prepare(request);
    }

    @Override
    public void close() {
    }
}
