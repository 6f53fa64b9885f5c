package io.streaminfer.contract.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shape of a {@link GraphSpec} as a dataflow: which steps each step depends on (through its inputs and its
 * condition), an order that runs every step after those, and which branches <em>feed</em> each step. A graph
 * request travels as one record that accumulates the tensors of every step it passed, so a step needs records only
 * from the dependencies that are not already ancestors of another dependency: a step fed by one branch follows it
 * directly, one fed by several waits for them in a join. The graph's outputs are fed the same way ({@link #OUTPUT}).
 *
 * <p>Both the validator and the job's topology use it, so both see the same graph.
 */
public final class GraphTopology {
    /** The pseudo-step that produces the graph's outputs. */
    public static final String OUTPUT = "(outputs)";
    /** The pseudo-step that feeds the steps that depend on no step: the graph request as it came. */
    public static final String INPUT = "(inputs)";

    private final GraphSpec spec;
    private final Map<String, Set<String>> deps = new LinkedHashMap<>();
    private final List<String> cycle;
    private final List<String> order;

    public GraphTopology(GraphSpec spec) {
        this.spec = spec;
        for (GraphStep s : spec.steps()) {
            Set<String> d = new LinkedHashSet<>();
            s.inputs().values().forEach(refs -> refs.forEach(r -> addStep(d, r)));
            if (s.when() != null) {
                addStep(d, s.when().output());
            }
            deps.put(s.name(), d);
        }
        Set<String> outputDeps = new LinkedHashSet<>();
        spec.outputs().values().forEach(refs -> refs.forEach(r -> addStep(outputDeps, r)));
        deps.put(OUTPUT, outputDeps);
        this.cycle = findCycle();
        this.order = cycle == null ? topologicalOrder() : List.of();
    }

    /** Steps named by references (graph inputs and unknown steps are not steps). */
    private void addStep(Set<String> into, TensorRef r) {
        if (!r.isGraphInput() && spec.step(r.step()) != null) {
            into.add(r.step());
        }
    }

    /** Steps that form a cycle, as a path that ends where it starts; null when there is none. */
    public List<String> cycle() {
        return cycle;
    }

    /** Every step after the steps it depends on, else in graph.yaml's order; empty when there is a cycle. */
    public List<String> order() {
        return order;
    }

    /** The steps {@code step} reads outputs of (inputs and condition); {@link #OUTPUT} for the outputs'. */
    public Set<String> dependencies(String step) {
        return Collections.unmodifiableSet(deps.getOrDefault(step, Set.of()));
    }

    /** Every step that must come before {@code step}. */
    public Set<String> ancestors(String step) {
        Set<String> seen = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>(dependencies(step));
        while (!todo.isEmpty()) {
            String s = todo.remove(todo.size() - 1);
            if (seen.add(s)) {
                todo.addAll(dependencies(s));
            }
        }
        return seen;
    }

    /**
     * The branches whose records {@code step} (or {@link #OUTPUT}) needs: its dependencies without those that are
     * ancestors of another dependency (their tensors arrive with it). Empty: it is fed the graph request itself.
     */
    public List<String> feeds(String step) {
        Set<String> d = dependencies(step);
        List<String> out = new ArrayList<>();
        for (String candidate : d) {
            boolean implied = false;
            for (String other : d) {
                if (!other.equals(candidate) && ancestors(other).contains(candidate)) {
                    implied = true;
                    break;
                }
            }
            if (!implied) {
                out.add(candidate);
            }
        }
        return out;
    }

    /** What {@code node} ({@link #INPUT} or a step) passes its records to: steps in order, then {@link #OUTPUT}. */
    public List<String> consumers(String node) {
        List<String> out = new ArrayList<>();
        List<String> all = new ArrayList<>(order);
        all.add(OUTPUT);
        for (String s : all) {
            List<String> f = feeds(s);
            if (INPUT.equals(node) ? f.isEmpty() && !OUTPUT.equals(s) : f.contains(node)) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Steps whose records reach the outputs: the outputs' ancestors. A step outside it is unconnected (its results
     * would go nowhere).
     */
    public Set<String> connected() {
        Set<String> c = new LinkedHashSet<>(ancestors(OUTPUT));
        return c;
    }

    private List<String> findCycle() {
        Map<String, Integer> state = new LinkedHashMap<>(); // 1 on the path, 2 done
        for (GraphStep s : spec.steps()) {
            List<String> path = new ArrayList<>();
            List<String> c = visit(s.name(), state, path);
            if (c != null) {
                return c;
            }
        }
        return null;
    }

    private List<String> visit(String step, Map<String, Integer> state, List<String> path) {
        Integer st = state.get(step);
        if (st != null && st == 2) {
            return null;
        }
        if (st != null && st == 1) {
            List<String> c = new ArrayList<>(path.subList(path.indexOf(step), path.size()));
            c.add(step);
            return c;
        }
        state.put(step, 1);
        path.add(step);
        for (String d : dependencies(step)) {
            List<String> c = visit(d, state, path);
            if (c != null) {
                return c;
            }
        }
        path.remove(path.size() - 1);
        state.put(step, 2);
        return null;
    }

    private List<String> topologicalOrder() {
        List<String> out = new ArrayList<>();
        Set<String> placed = new LinkedHashSet<>();
        while (out.size() < spec.steps().size()) {
            for (GraphStep s : spec.steps()) {
                if (!placed.contains(s.name()) && placed.containsAll(dependencies(s.name()))) {
                    placed.add(s.name());
                    out.add(s.name());
                    break; // graph.yaml's order among those ready
                }
            }
        }
        return out;
    }
}
