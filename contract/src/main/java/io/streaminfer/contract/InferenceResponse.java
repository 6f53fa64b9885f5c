package io.streaminfer.contract;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** An Open Inference Protocol inference response: {@code {model_name, model_version?, id, parameters?, outputs}}. */
public final class InferenceResponse {
    private final String modelName;
    private final String modelVersion;
    private final String id;
    private final Map<String, Object> parameters;
    private final List<Tensor> outputs;

    public InferenceResponse(String modelName, String modelVersion, String id, Map<String, Object> parameters,
            List<Tensor> outputs) {
        this.modelName = Objects.requireNonNull(modelName, "modelName");
        this.modelVersion = modelVersion;
        this.id = id;
        this.parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        this.outputs = List.copyOf(Objects.requireNonNull(outputs, "outputs"));
    }

    public String modelName() {
        return modelName;
    }

    public String modelVersion() {
        return modelVersion;
    }

    public String id() {
        return id;
    }

    public Map<String, Object> parameters() {
        return parameters;
    }

    public List<Tensor> outputs() {
        return outputs;
    }

    public Tensor output(String name) {
        for (Tensor t : outputs) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    public InferenceResponse withId(String newId) {
        return new InferenceResponse(modelName, modelVersion, newId, parameters, outputs);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof InferenceResponse)) {
            return false;
        }
        InferenceResponse r = (InferenceResponse) o;
        return modelName.equals(r.modelName) && Objects.equals(modelVersion, r.modelVersion)
                && Objects.equals(id, r.id) && parameters.equals(r.parameters) && outputs.equals(r.outputs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(modelName, modelVersion, id);
    }
}
