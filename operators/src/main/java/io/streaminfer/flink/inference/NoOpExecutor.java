package io.streaminfer.flink.inference;

import io.streaminfer.batching.BatchExecutor;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.runtime.Prediction;
import java.util.ArrayList;
import java.util.List;

/** For the pipeline benchmark only: answers at once with an empty response, to show the pipeline's own ceiling. */
final class NoOpExecutor implements BatchExecutor {
    private final String model;
    private final String version;

    NoOpExecutor(String model, String version) {
        this.model = model;
        this.version = version;
    }

    @Override
    public List<Prediction> run(List<InferenceRequest> batch) {
        List<Prediction> out = new ArrayList<>(batch.size());
        for (InferenceRequest r : batch) {
            out.add(Prediction.success(new InferenceResponse(model, version, r.id(), null, List.of())));
        }
        return out;
    }
}
