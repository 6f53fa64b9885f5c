package io.streaminfer.contract.model;

import java.io.Serializable;
import java.util.Objects;

/**
 * Where a tensor of a graph comes from: a graph input ({@code question}) or an output of a step
 * ({@code embed.embedding}). Step names cannot hold a dot, so the first dot separates step and output.
 */
public final class TensorRef implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String step;
    private final String tensor;

    private TensorRef(String step, String tensor) {
        this.step = step;
        this.tensor = tensor;
    }

    public static TensorRef graphInput(String name) {
        return new TensorRef(null, Objects.requireNonNull(name));
    }

    public static TensorRef stepOutput(String step, String output) {
        return new TensorRef(Objects.requireNonNull(step), Objects.requireNonNull(output));
    }

    /**
     * {@code name} is a graph input, {@code step.output} a step's output.
     *
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static TensorRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("an empty tensor reference: write a graph input's name, or step.output");
        }
        String t = text.trim();
        int dot = t.indexOf('.');
        if (dot < 0) {
            return graphInput(t);
        }
        if (dot == 0 || dot == t.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not a tensor reference: write a graph input's "
                    + "name, or step.output");
        }
        return stepOutput(t.substring(0, dot), t.substring(dot + 1));
    }

    /** The step whose output this is; null for a graph input. */
    public String step() {
        return step;
    }

    /** The graph input's name, or the step's output name. */
    public String tensor() {
        return tensor;
    }

    public boolean isGraphInput() {
        return step == null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorRef r && Objects.equals(step, r.step) && tensor.equals(r.tensor);
    }

    @Override
    public int hashCode() {
        return Objects.hash(step, tensor);
    }

    /** As written in graph.yaml, and the tensor's name inside a graph request's record. */
    @Override
    public String toString() {
        return step == null ? tensor : step + "." + tensor;
    }
}
