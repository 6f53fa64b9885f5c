package io.streaminfer.flink.inference;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.Preparers;
import java.util.ArrayList;
import java.util.List;

/** For the pipeline benchmark only: answers at once with an empty response, to show the pipeline's own ceiling. */
final class NoOpReplica implements ModelReplica {
    private final ModelVersion version;
    private final int workers;

    NoOpReplica(ModelVersion version, int workers) {
        this.version = version;
        this.workers = workers;
    }

    @Override
    public ModelVersion model() {
        return version;
    }

    @Override
    public String device() {
        return "none (no-op)";
    }

    @Override
    public int workers() {
        return workers;
    }

    @Override
    public PreparedRequest prepare(InferenceRequest request) {
        try (var preparer = Preparers.validating(version)) {
            return preparer.prepare(request);
        }
    }

    @Override
    public List<Prediction> predictPrepared(List<PreparedRequest> requests, long maxBatchCost) {
        List<Prediction> out = new ArrayList<>(requests.size());
        for (PreparedRequest r : requests) {
            out.add(Prediction.success(new InferenceResponse(version.name(), version.version(), r.id(), null,
                    List.of())));
        }
        return out;
    }

    @Override
    public void close() {
    }
}
