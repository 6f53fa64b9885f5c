package io.streaminfer.contract.model;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a graph version against the models of its repository, listing every problem with what to change: steps
 * that name unknown models or versions (or another graph: graphs do not nest), model inputs left unconnected or
 * mapped that the model does not take, references to unknown graph inputs, steps or outputs, cycles, datatype and
 * shape mismatches between connected tensors ({@code -1} matches any size), conditions on unknown tensors or of the
 * wrong type, steps that can never run and outputs that no branch can produce, steps whose results reach no output,
 * and a graph {@code max_batch_size} that a step's model does not take. {@link ModelRepository#open} runs it, so
 * the job, the bridge and {@code deploy/bin/infer --check} all refuse a broken graph the same way.
 */
public final class GraphValidator {
    private final ModelRepository repository;
    private final String graph;
    private final ModelConfig config;
    private final GraphSpec spec;
    private final GraphTopology topology;
    private final List<String> problems = new ArrayList<>();

    private GraphValidator(ModelRepository repository, String graph, ModelConfig config, GraphSpec spec) {
        this.repository = repository;
        this.graph = graph;
        this.config = config;
        this.spec = spec;
        this.topology = new GraphTopology(spec);
    }

    /** The problems of one graph version; empty when it is sound. Messages start with the step or output. */
    public static List<String> validate(ModelRepository repository, String graph, ModelConfig config, GraphSpec spec) {
        GraphValidator v = new GraphValidator(repository, graph, config, spec);
        v.run();
        return v.problems;
    }

    private void run() {
        for (TensorSpec in : config.inputs()) {
            if (in.name().contains(".")) {
                problems.add("graph input '" + in.name() + "': its name must not contain '.' (step.output "
                        + "references use it); rename it in model.yaml");
            }
        }
        for (GraphStep s : spec.steps()) {
            checkStep(s);
        }
        if (topology.cycle() != null) {
            problems.add("steps form a cycle: " + String.join(" → ", topology.cycle()) + "; a step can only read "
                    + "outputs of steps that do not depend on it");
        }
        checkOutputs();
        if (topology.cycle() == null) {
            checkConnected();
            checkReachable();
        }
    }

    /** The step's model, or null (with a problem) when it cannot be a step. */
    private ModelVersion model(GraphStep s) {
        ModelRepository.ModelEntry e;
        try {
            e = repository.model(s.model());
        } catch (InferenceException ex) {
            problems.add("step '" + s.name() + "': unknown model '" + s.model() + "'; the repository has "
                    + repository.modelNames());
            return null;
        }
        if (e.config().isGraph()) {
            problems.add("step '" + s.name() + "': '" + s.model() + "' is a graph; a step runs a model (graphs do "
                    + "not nest: copy its steps into this graph)");
            return null;
        }
        try {
            return e.version(s.version());
        } catch (InferenceException ex) {
            problems.add("step '" + s.name() + "': model '" + s.model() + "' has no version '" + s.version()
                    + "'; it has " + e.versions() + " (or leave 'version' out for the latest)");
            return null;
        }
    }

    private void checkStep(GraphStep s) {
        ModelVersion m = model(s);
        String at = "step '" + s.name() + "'";
        if (m != null && m.config().isGenerative() && s.prompt().isEmpty()) {
            problems.add(at + ": model " + m.key() + " is generative: give 'prompt', a template of the step's "
                    + "inputs, e.g. 'Question: {question}\\nAnswer:'");
            return; // its inputs are the prompt's, not the model's: nothing else to check without one
        }
        if (m != null && !m.config().isGenerative() && s.prompt().isPresent()) {
            problems.add(at + ": 'prompt' belongs to a step of a generative model; " + m.key() + " is a "
                    + m.config().kind().yamlName() + " model");
        }
        if (s.prompt().isPresent()) {
            checkPromptStep(s, m, at);
            if (s.when() != null) {
                checkCondition(s, at);
            }
            return;
        }
        if (m != null) {
            ModelConfig mc = m.config();
            for (String input : s.inputs().keySet()) {
                if (find(mc.inputs(), input) == null) {
                    problems.add(at + ": model " + m.key() + " has no input '" + input + "'; it takes "
                            + names(mc.inputs()));
                }
            }
            for (TensorSpec input : mc.inputs()) {
                if (!s.inputs().containsKey(input.name())) {
                    problems.add(at + ": input '" + input.name() + "' of model " + m.key() + " is not connected; "
                            + "map it in 'inputs' from a graph input " + names(config.inputs())
                            + " or an earlier step's output (step.output)");
                }
            }
            if (config.maxBatchSize() > mc.maxBatchSize()) {
                problems.add(at + ": model " + m.key() + " takes at most " + mc.maxBatchSize() + " rows, but the "
                        + "graph's max_batch_size is " + config.maxBatchSize() + "; lower max_batch_size in the "
                        + "graph's model.yaml");
            }
        }
        for (Map.Entry<String, List<TensorRef>> in : s.inputs().entrySet()) {
            TensorSpec target = m == null ? null : find(m.config().inputs(), in.getKey());
            for (TensorRef ref : in.getValue()) {
                TensorSpec source = resolve(ref, at + " input '" + in.getKey() + "'", s.name());
                if (source != null && target != null) {
                    compatible(source, ref, target, at + " input '" + in.getKey() + "'", "model " + m.key()
                            + " takes");
                }
            }
        }
        if (s.when() != null) {
            checkCondition(s, at);
        }
        if (s.join() == GraphStep.Join.FIRST && topology.cycle() == null && topology.feeds(s.name()).size() < 2) {
            problems.add(at + ": 'join: first' applies to a step fed by two or more branches; this one follows "
                    + (topology.feeds(s.name()).isEmpty() ? "the graph's inputs" : "step '"
                    + topology.feeds(s.name()).get(0) + "'") + " only: remove 'join'");
        }
    }

    private void checkCondition(GraphStep s, String at) {
        StepCondition c = s.when();
        TensorSpec t = resolve(c.output(), at + " when", s.name());
        if (t == null) {
            return;
        }
        Datatype d = t.datatype();
        if (c.isComparison() && (d == Datatype.BYTES || d == Datatype.BOOL)) {
            problems.add(at + " when: below/above compare numbers, but " + c.output() + " is " + d + "; use in or "
                    + "not_in");
        }
        if (!c.isComparison()) {
            for (Object v : c.values()) {
                boolean fits = d == Datatype.BYTES ? v instanceof String : d == Datatype.BOOL ? v instanceof Boolean
                        : v instanceof Double;
                if (!fits) {
                    problems.add(at + " when: " + c.output() + " is " + d + ", so '" + v + "' can never match; "
                            + "give " + (d == Datatype.BYTES ? "strings" : d == Datatype.BOOL ? "true/false"
                            : "numbers"));
                }
            }
        }
    }

    /** The spec of a referenced tensor, or null with a problem. */
    private TensorSpec resolve(TensorRef ref, String at, String readingStep) {
        if (ref.isGraphInput()) {
            TensorSpec in = find(config.inputs(), ref.tensor());
            if (in == null) {
                problems.add(at + ": '" + ref + "' is not a graph input (the graph takes " + names(config.inputs())
                        + "); for a step's output write step.output");
            }
            return in;
        }
        GraphStep source = spec.step(ref.step());
        if (source == null) {
            problems.add(at + ": no step '" + ref.step() + "' (steps: " + stepNames() + ")");
            return null;
        }
        if (source.name().equals(readingStep)) {
            problems.add(at + ": step '" + readingStep + "' reads its own output " + ref + "; a step can only read "
                    + "graph inputs and outputs of other steps");
            return null;
        }
        ModelVersion m = quietModel(source);
        if (m == null) {
            return null; // reported with the step itself
        }
        TensorSpec out = find(m.config().outputs(), ref.tensor());
        if (out == null) {
            problems.add(at + ": step '" + source.name() + "' (model " + m.key() + ") has no output '" + ref.tensor()
                    + "'; it gives " + names(m.config().outputs()));
        }
        return out;
    }

    private ModelVersion quietModel(GraphStep s) {
        try {
            ModelRepository.ModelEntry e = repository.model(s.model());
            return e.config().isGraph() ? null : e.version(s.version());
        } catch (InferenceException e) {
            return null;
        }
    }

    /**
     * A generative step: its template against its inputs, each input a text (BYTES) or, through {@code texts}, an
     * integer tensor of line indices into a file of the repository, and its parameters as the model reads them.
     */
    private void checkPromptStep(GraphStep s, ModelVersion m, String at) {
        StepPrompt prompt = s.prompt().orElseThrow();
        problems.addAll(prompt.problems(s.inputs().keySet(), at));
        for (Map.Entry<String, List<TensorRef>> in : s.inputs().entrySet()) {
            boolean indexes = prompt.texts().containsKey(in.getKey());
            for (TensorRef ref : in.getValue()) {
                TensorSpec source = resolve(ref, at + " input '" + in.getKey() + "'", s.name());
                if (source == null) {
                    continue;
                }
                if (indexes && source.datatype().storage() != Datatype.Storage.LONG) {
                    problems.add(at + " input '" + in.getKey() + "': " + ref + " is " + source.datatype() + "; with "
                            + "'texts' it must be integers (line indices)");
                } else if (!indexes && source.datatype() != Datatype.BYTES) {
                    problems.add(at + " input '" + in.getKey() + "': " + ref + " is " + source.datatype() + "; a "
                            + "prompt takes text (BYTES), or integers with 'texts' naming the file they index");
                }
            }
        }
        for (Map.Entry<String, String> t : prompt.texts().entrySet()) {
            Path file = repository.root().resolve(t.getValue()).normalize();
            if (!file.startsWith(repository.root().normalize()) || !Files.isRegularFile(file)) {
                problems.add(at + ": 'texts' " + t.getKey() + ": no file " + t.getValue() + " in the repository "
                        + repository.root());
            }
        }
        if (m != null && m.config().isGenerative()) {
            try {
                GenerationOptions.read(new InferenceRequest("check",
                        prompt.parameters(), List.of(Tensor.ofStrings(
                                GenerationOptions.TEXT_INPUT, "x")), null),
                        m.config().generation());
            } catch (InferenceException e) {
                problems.add(at + ": 'parameters': " + e.getMessage());
            }
        }
    }

    /** Datatype equal; shapes of equal rank whose fixed dimensions agree (-1 matches anything). */
    private void compatible(TensorSpec source, TensorRef ref, TensorSpec target, String at, String targetSays) {
        if (source.datatype() != target.datatype()) {
            problems.add(at + ": " + ref + " is " + source.datatype() + " but " + targetSays + " "
                    + target.datatype());
            return;
        }
        boolean fits = source.rank() == target.rank();
        for (int i = 0; fits && i < source.rank(); i++) {
            fits = source.dim(i) == -1 || target.dim(i) == -1 || source.dim(i) == target.dim(i);
        }
        if (!fits) {
            problems.add(at + ": " + ref + " has shape " + Arrays.toString(source.shape()) + " but " + targetSays
                    + " " + Arrays.toString(target.shape()));
        }
    }

    private void checkOutputs() {
        for (TensorSpec declared : config.outputs()) {
            if (!spec.outputs().containsKey(declared.name())) {
                problems.add("output '" + declared.name() + "' (declared in model.yaml) is not mapped: add it to "
                        + "graph.yaml's 'outputs', e.g. " + declared.name() + ": step.output");
            }
        }
        for (Map.Entry<String, List<TensorRef>> o : spec.outputs().entrySet()) {
            TensorSpec declared = find(config.outputs(), o.getKey());
            if (declared == null) {
                problems.add("output '" + o.getKey() + "' is not declared in the graph's model.yaml (it declares "
                        + names(config.outputs()) + "); declare it there or remove it");
            }
            for (TensorRef ref : o.getValue()) {
                TensorSpec source = resolve(ref, "output '" + o.getKey() + "'", null);
                if (source != null && declared != null) {
                    compatible(source, ref, declared, "output '" + o.getKey() + "'", "model.yaml declares");
                }
            }
        }
    }

    private void checkConnected() {
        Set<String> connected = topology.connected();
        for (GraphStep s : spec.steps()) {
            if (!connected.contains(s.name())) {
                problems.add("step '" + s.name() + "' feeds no output: no graph output comes from it or from a "
                        + "step after it; map one of its outputs in 'outputs', or remove the step");
            }
        }
        Set<String> used = new HashSet<>();
        spec.steps().forEach(s -> s.inputs().values().forEach(refs -> refs.forEach(r -> used.add(r.toString()))));
        spec.steps().forEach(s -> {
            if (s.when() != null) {
                used.add(s.when().output().toString());
            }
        });
        spec.outputs().values().forEach(refs -> refs.forEach(r -> used.add(r.toString())));
        for (TensorSpec in : config.inputs()) {
            if (!used.contains(in.name())) {
                problems.add("graph input '" + in.name() + "' is used by no step; map it into a step's inputs, or "
                        + "remove it from model.yaml");
            }
        }
    }

    /**
     * Steps that can never run: a condition no element can pass (an empty range or set), a condition that
     * contradicts one that must already hold for the step to be reached (both {@code match: all}), or a step it
     * cannot do without that can never run. Outputs all of whose sources can never run can never be produced.
     */
    private void checkReachable() {
        Set<String> never = new LinkedHashSet<>();
        java.util.Map<String, List<StepCondition>> mustHold = new java.util.HashMap<>();
        for (String name : topology.order()) {
            GraphStep s = spec.step(name);
            List<StepCondition> holds = new ArrayList<>();
            List<String> needed = new ArrayList<>();
            if (s.when() != null && !s.when().output().isGraphInput()) {
                needed.add(s.when().output().step());
            }
            String reason = null;
            for (Map.Entry<String, List<TensorRef>> in : s.inputs().entrySet()) {
                List<TensorRef> refs = in.getValue();
                if (refs.size() == 1 && !refs.get(0).isGraphInput()) {
                    needed.add(refs.get(0).step());
                } else if (!refs.isEmpty() && refs.stream().allMatch(r -> !r.isGraphInput()
                        && never.contains(r.step()))) {
                    reason = "none of the sources of its input '" + in.getKey() + "' " + refs + " can be produced";
                }
            }
            for (String n : needed) {
                if (never.contains(n)) {
                    reason = "it needs step '" + n + "', which can never run";
                }
                holds.addAll(mustHold.getOrDefault(n, List.of()));
            }
            if (s.when() != null) {
                if (s.when().neverHolds()) {
                    reason = "its condition " + s.when() + " holds for no value";
                }
                for (StepCondition earlier : holds) {
                    if (contradict(earlier, s.when())) {
                        reason = "its condition " + s.when() + " contradicts " + earlier + ", which must hold for "
                                + "it to be reached";
                    }
                }
                holds.add(s.when());
            }
            mustHold.put(name, holds);
            if (reason != null) {
                never.add(name);
                problems.add("step '" + name + "' can never run: " + reason + "; change the condition or the "
                        + "inputs");
            }
        }
        for (Map.Entry<String, List<TensorRef>> o : spec.outputs().entrySet()) {
            List<TensorRef> refs = o.getValue();
            if (!refs.isEmpty() && refs.stream().allMatch(r -> !r.isGraphInput() && never.contains(r.step()))) {
                problems.add("output '" + o.getKey() + "' can never be produced: no step it maps from (" + refs
                        + ") can ever run");
            }
        }
    }

    /** Two conditions on one tensor that every element must pass and no element can pass both. */
    private static boolean contradict(StepCondition a, StepCondition b) {
        if (!a.output().equals(b.output()) || a.match() != StepCondition.Match.ALL
                || b.match() != StepCondition.Match.ALL) {
            return false;
        }
        if (a.isComparison() && b.isComparison()) {
            double lo = Math.max(a.above() == null ? Double.NEGATIVE_INFINITY : a.above(),
                    b.above() == null ? Double.NEGATIVE_INFINITY : b.above());
            double hi = Math.min(a.below() == null ? Double.POSITIVE_INFINITY : a.below(),
                    b.below() == null ? Double.POSITIVE_INFINITY : b.below());
            return lo >= hi;
        }
        if (!a.isComparison() && !b.isComparison() && !a.negated() && !b.negated()) {
            return a.values().stream().noneMatch(b.values()::contains);
        }
        return false;
    }

    private List<String> stepNames() {
        return spec.steps().stream().map(GraphStep::name).toList();
    }

    private static TensorSpec find(List<TensorSpec> specs, String name) {
        return RequestValidator.find(specs, name);
    }

    private static List<String> names(List<TensorSpec> specs) {
        return RequestValidator.names(specs);
    }
}
