package io.streaminfer.runtime;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.ModelKind;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.RequestValidator;
import io.streaminfer.runtime.internal.GenerationPreparer;
import io.streaminfer.runtime.internal.TensorPreparer;
import io.streaminfer.runtime.internal.TextPreparer;

/** The {@link RequestPreparer} of a model version's kind. */
public final class Preparers {
    private Preparers() {}

    /**
     * What a replica of {@code version} would do before batching: for text, cut and tokenize. For a graph, its
     * declared inputs are checked and its tensors kept as they came: each step prepares what it runs.
     */
    public static RequestPreparer load(ModelVersion version) {
        return switch (version.config().kind()) {
            case TEXT_EMBEDDING -> new TextPreparer(version);
            case GENERATIVE -> new GenerationPreparer(version);
            case TENSOR, GRAPH -> new TensorPreparer(version);
        };
    }

    /**
     * Checks the signature only, every row costing 1 and the request kept as it came: for stand-ins of the model
     * (the no-op benchmark) that do not read the inputs.
     */
    public static RequestPreparer validating(ModelVersion version) {
        if (version.config().isGraph() || version.config().isGenerative()) {
            // A graph's inputs are what its steps run on; a generative model has no stand-in: both as loaded.
            return load(version);
        }
        return new RequestPreparer() {
            @Override
            public ModelVersion model() {
                return version;
            }

            @Override
            public PreparedRequest prepare(InferenceRequest request) {
                int rows = RequestValidator.validate(request, version.config());
                return new PreparedRequest(version.key(), new InferenceRequest(request.id(), null,
                        java.util.List.of(), request.outputs()), rows, 1, rows, 64, null);
            }

            @Override
            public void close() {
            }
        };
    }
}
