package io.streaminfer.contract.model;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One step of a {@link GraphSpec}: a model (and version) run on tensors the graph already has. Each of the model's
 * inputs maps from a graph input or an earlier step's output ({@link TensorRef}), or from the first available of a
 * list of them (for branches that may be skipped).
 */
public final class GraphStep implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How a step fed by several branches waits for them. */
    public enum Join {
        /** Wait for every branch (the default); then run if the inputs are there. */
        ALL,
        /** Run as soon as the branches arrived so far provide the inputs; later ones are dropped. */
        FIRST
    }

    private final String name;
    private final String model;
    private final String version;
    private final Map<String, List<TensorRef>> inputs;
    private final StepCondition when;
    private final long timeoutMs;
    private final Join join;
    private final StepPrompt prompt;

    /**
     * @param version null: the model's latest when the job starts
     * @param inputs model input → its sources, first available wins
     * @param when null: always runs
     * @param timeoutMs 0: none (the request's deadline still bounds it)
     */
    public GraphStep(String name, String model, String version, Map<String, List<TensorRef>> inputs,
            StepCondition when, long timeoutMs, Join join) {
        this(name, model, version, inputs, when, timeoutMs, join, null);
    }

    /** @param prompt how a generative step builds its prompts; null for a step that maps tensors onto a model */
    public GraphStep(String name, String model, String version, Map<String, List<TensorRef>> inputs,
            StepCondition when, long timeoutMs, Join join, StepPrompt prompt) {
        this.name = Objects.requireNonNull(name);
        this.model = Objects.requireNonNull(model);
        this.version = version;
        Map<String, List<TensorRef>> copy = new LinkedHashMap<>();
        inputs.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        this.inputs = java.util.Collections.unmodifiableMap(copy);
        this.when = when;
        this.timeoutMs = timeoutMs;
        this.join = join == null ? Join.ALL : join;
        this.prompt = prompt;
    }

    public String name() {
        return name;
    }

    public String model() {
        return model;
    }

    /** The model version named in graph.yaml; null: the latest. */
    public String version() {
        return version;
    }

    /** Model input name → where it comes from (the first available of the list), in graph.yaml's order. */
    public Map<String, List<TensorRef>> inputs() {
        return inputs;
    }

    /** Null when the step always runs. */
    public StepCondition when() {
        return when;
    }

    /** The most time the step may take, queue wait included; 0 for no limit of its own. */
    public long timeoutMs() {
        return timeoutMs;
    }

    public Join join() {
        return join;
    }

    /**
     * How a step of a generative model builds each row's prompt from its inputs; empty for a step whose inputs map
     * onto its model's inputs.
     */
    public java.util.Optional<StepPrompt> prompt() {
        return java.util.Optional.ofNullable(prompt);
    }

    @Override
    public String toString() {
        return name + " (" + model + (version == null ? "" : ":" + version) + ")";
    }
}
