package io.streaminfer.contract;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An Open Inference Protocol inference request: {@code {id?, parameters?, inputs, outputs?}}.
 * The model it is for travels beside it (the URL path on HTTP, the {@code model} header on Kafka).
 */
public final class InferenceRequest {
    private final String id;
    private final Map<String, Object> parameters;
    private final List<Tensor> inputs;
    private final List<RequestedOutput> outputs;

    public InferenceRequest(String id, Map<String, Object> parameters, List<Tensor> inputs,
            List<RequestedOutput> outputs) {
        this.id = id;
        this.parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        this.inputs = List.copyOf(Objects.requireNonNull(inputs, "inputs"));
        this.outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    public InferenceRequest(String id, List<Tensor> inputs) {
        this(id, null, inputs, null);
    }

    /** The caller's ID; may be null on HTTP, where the bridge assigns one. */
    public String id() {
        return id;
    }

    public Map<String, Object> parameters() {
        return parameters;
    }

    public List<Tensor> inputs() {
        return inputs;
    }

    /** The outputs asked for; empty means all. */
    public List<RequestedOutput> outputs() {
        return outputs;
    }

    public Tensor input(String name) {
        for (Tensor t : inputs) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The same request under another ID (the bridge scopes callers' IDs). */
    public InferenceRequest withId(String newId) {
        return new InferenceRequest(newId, parameters, inputs, outputs);
    }

    /** The rows this request adds to a batch: the first dimension of its first input. */
    public long rows() {
        return inputs.isEmpty() ? 0 : inputs.get(0).rows();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof InferenceRequest)) {
            return false;
        }
        InferenceRequest r = (InferenceRequest) o;
        return Objects.equals(id, r.id) && parameters.equals(r.parameters) && inputs.equals(r.inputs)
                && outputs.equals(r.outputs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, inputs);
    }

    @Override
    public String toString() {
        return "InferenceRequest{id=" + id + ", inputs=" + inputs + "}";
    }
}
