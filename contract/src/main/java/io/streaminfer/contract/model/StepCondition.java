package io.streaminfer.contract.model;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.Tensor;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * When a graph step runs: a test on a tensor the graph already has (an earlier step's output, or a graph input),
 * element by element. {@code below}/{@code above} compare numbers (strictly; both together: a range); {@code in}
 * and {@code not_in} test membership (numbers, booleans or strings). The step runs when {@code match: any} (the
 * default) element passes, or with {@code match: all} when every element does. A condition that fails skips the
 * step; skipping is not an error.
 *
 * <pre>{@code
 * when: {output: lookup.best_score, below: 0.5}
 * when: {output: classify.label, in: [2, 3], match: all}
 * }</pre>
 */
public final class StepCondition implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How many elements must pass. */
    public enum Match {
        ANY, ALL
    }

    private final TensorRef output;
    private final Double below;
    private final Double above;
    /** Doubles, Booleans or Strings; null when the condition is a comparison. */
    private final List<Object> values;
    private final boolean negated;
    private final Match match;

    public StepCondition(TensorRef output, Double below, Double above, List<Object> values, boolean negated,
            Match match) {
        this.output = Objects.requireNonNull(output, "output");
        this.below = below;
        this.above = above;
        this.values = values == null ? null : List.copyOf(values);
        this.negated = negated;
        this.match = match == null ? Match.ANY : match;
        if ((values == null) == (below == null && above == null)) {
            throw new IllegalArgumentException("a condition needs below/above, or in/not_in, not both");
        }
    }

    public TensorRef output() {
        return output;
    }

    /** Null when not set. */
    public Double below() {
        return below;
    }

    public Double above() {
        return above;
    }

    /** The set of {@code in}/{@code not_in}; null for a comparison. */
    public List<Object> values() {
        return values;
    }

    public boolean negated() {
        return negated;
    }

    public Match match() {
        return match;
    }

    public boolean isComparison() {
        return values == null;
    }

    /** Whether no element could ever pass: an empty range or an empty {@code in} set. */
    public boolean neverHolds() {
        if (isComparison()) {
            return below != null && above != null && above >= below;
        }
        return !negated && values.isEmpty();
    }

    /** Whether the step runs on {@code t}. */
    public boolean test(Tensor t) {
        int n = t.length();
        if (n == 0) {
            return match == Match.ALL;
        }
        for (int i = 0; i < n; i++) {
            boolean pass = passes(t, i);
            if (match == Match.ANY && pass) {
                return true;
            }
            if (match == Match.ALL && !pass) {
                return false;
            }
        }
        return match == Match.ALL;
    }

    private boolean passes(Tensor t, int i) {
        Datatype d = t.datatype();
        if (isComparison()) {
            double v = numeric(t, i);
            return (below == null || v < below) && (above == null || v > above);
        }
        boolean found = false;
        for (Object candidate : values) {
            if (d == Datatype.BYTES ? candidate.equals(t.strings()[i])
                    : d == Datatype.BOOL ? candidate.equals(t.bools()[i])
                    : candidate instanceof Double c && c == numeric(t, i)) {
                found = true;
                break;
            }
        }
        return found != negated;
    }

    private static double numeric(Tensor t, int i) {
        switch (t.datatype().storage()) {
            case LONG:
                return t.longs()[i];
            case FLOAT:
                return t.floats()[i];
            case DOUBLE:
                return t.doubles()[i];
            case BOOL:
                return t.bools()[i] ? 1 : 0;
            default:
                throw new IllegalArgumentException("tensor '" + t.name() + "' of " + t.datatype() + " is not a number");
        }
    }

    /** As written in graph.yaml, for messages. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add("output: " + output);
        if (below != null) {
            parts.add("below: " + below);
        }
        if (above != null) {
            parts.add("above: " + above);
        }
        if (values != null) {
            parts.add((negated ? "not_in: " : "in: ") + values);
        }
        if (match == Match.ALL) {
            parts.add("match: all");
        }
        return "{" + String.join(", ", parts) + "}";
    }
}
