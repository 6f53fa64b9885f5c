package io.streaminfer.flink.graph;

import io.streaminfer.contract.model.GraphSpec;
import io.streaminfer.contract.model.GraphStep;
import io.streaminfer.contract.model.GraphTopology;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.StepCondition;
import io.streaminfer.contract.model.StepPrompt;
import io.streaminfer.contract.model.TensorRef;
import io.streaminfer.contract.model.TensorSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.annotation.Internal;

/**
 * One served graph version as the job runs it, fixed where the job is built: its steps in an order that runs each
 * after those it reads, each with the model version it resolved to then (so every task manager runs the same), the
 * branches that feed each step and the outputs ({@link GraphTopology}), and the operator uids and names derived from
 * graph, version and step names (stable across submissions, so savepoints survive adding or changing a graph).
 * Serializable: it travels with the job graph. Nodes are numbered: {@link #INPUT}, steps {@code 0..n-1}, then
 * {@link #output()}.
 *
 * <pre>{@code
 * GraphPlan plan = GraphPlan.of(repository.resolve("sotu-qa", null), repository);
 * plan.uid(0);    // "graph-sotu-qa-v1-embed"
 * plan.name(0);   // "sotu-qa/embed"
 * }</pre>
 */
@Internal
public final class GraphPlan implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The node that feeds entry steps: the graph request as it came. */
    public static final int INPUT = -1;

    /** A step as planned. */
    public static final class Step implements Serializable {
        private static final long serialVersionUID = 1L;
        public final int index;
        public final String name;
        public final String model;
        public final String modelVersion;
        /** Model input → the tensors (graph input or step.output names) to take it from, the first available. */
        public final Map<String, List<String>> inputs;
        public final StepCondition when;
        public final long timeoutMs;
        public final GraphStep.Join join;
        /** How a step of a generative model builds its prompts; null for a step of a one-shot model. */
        public final StepPrompt prompt;
        /** Nodes whose records this step needs; empty: {@link #INPUT}. */
        public final int[] feeds;

        Step(int index, GraphStep s, String modelVersion, int[] feeds) {
            this.index = index;
            this.name = s.name();
            this.model = s.model();
            this.modelVersion = modelVersion;
            Map<String, List<String>> in = new LinkedHashMap<>();
            s.inputs().forEach((k, refs) -> in.put(k, refs.stream().map(TensorRef::toString).toList()));
            this.inputs = in;
            this.when = s.when();
            this.timeoutMs = s.timeoutMs();
            this.join = s.join();
            this.prompt = s.prompt().orElse(null);
            this.feeds = feeds;
        }

        /** Whether it runs a generative model (on the subtask's engine), its prompts built by {@link #prompt}. */
        public boolean generative() {
            return prompt != null;
        }

        /** {@code model:version}, the key of its replica. */
        public String modelKey() {
            return model + ":" + modelVersion;
        }

        /** How failures name the step: {@code step 'score' (model qa-scorer:1)}. */
        public String describe() {
            return "step '" + name + "' (model " + modelKey() + ")";
        }
    }

    private final String graph;
    private final String version;
    private final List<Step> steps;
    private final List<String> graphInputs;
    /** Graph output → tensors to take it from, the first available; in model.yaml's order. */
    private final Map<String, List<String>> outputs;
    private final int[] outputFeeds;

    private GraphPlan(String graph, String version, List<Step> steps, List<String> graphInputs,
            Map<String, List<String>> outputs, int[] outputFeeds) {
        this.graph = graph;
        this.version = version;
        this.steps = List.copyOf(steps);
        this.graphInputs = List.copyOf(graphInputs);
        this.outputs = outputs;
        this.outputFeeds = outputFeeds;
    }

    /** The plan of a graph version of {@code repository} (which checked it when it opened). */
    public static GraphPlan of(ModelVersion graphVersion, ModelRepository repository) {
        GraphSpec spec = Objects.requireNonNull(graphVersion.graph(), () -> graphVersion.key() + " is not a graph");
        GraphTopology topology = new GraphTopology(spec);
        List<String> order = topology.order();
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            GraphStep s = spec.step(order.get(i));
            String resolved = repository.resolve(s.model(), s.version()).version();
            steps.add(new Step(i, s, resolved, indexes(topology.feeds(s.name()), order)));
        }
        Map<String, List<String>> outputs = new LinkedHashMap<>();
        for (TensorSpec declared : graphVersion.config().outputs()) {
            outputs.put(declared.name(), spec.outputs().get(declared.name()).stream().map(TensorRef::toString)
                    .toList());
        }
        List<String> inputs = graphVersion.config().inputs().stream().map(TensorSpec::name).toList();
        return new GraphPlan(graphVersion.name(), graphVersion.version(), steps, inputs, outputs,
                indexes(topology.feeds(GraphTopology.OUTPUT), order));
    }

    private static int[] indexes(List<String> names, List<String> order) {
        return names.stream().mapToInt(order::indexOf).toArray();
    }

    public String graph() {
        return graph;
    }

    public String version() {
        return version;
    }

    /** {@code graph:version}. */
    public String key() {
        return graph + ":" + version;
    }

    /** In the order they run in (each after the steps it reads). */
    public List<Step> steps() {
        return steps;
    }

    public Step step(int index) {
        return steps.get(index);
    }

    public List<String> graphInputs() {
        return graphInputs;
    }

    public Map<String, List<String>> outputs() {
        return outputs;
    }

    /** The node number of the graph's outputs. */
    public int output() {
        return steps.size();
    }

    /** The nodes whose records {@code node} (a step, or {@link #output()}) needs; empty: {@link #INPUT}. */
    public int[] feeds(int node) {
        return node == output() ? outputFeeds.clone() : steps.get(node).feeds.clone();
    }

    /**
     * The one node that passes on progress records coming from {@code node}: its first consumer. Every consumer of
     * a node sees its records (fan-out), but a progress record must reach the outcomes once.
     */
    public int primaryConsumer(int node) {
        for (int n = 0; n <= output(); n++) {
            int[] f = feeds(n);
            boolean fed = node == INPUT ? f.length == 0 && n != output() : contains(f, node);
            if (fed) {
                return n;
            }
        }
        throw new IllegalStateException("node " + node + " of " + key() + " feeds nothing");
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /** A stable operator uid: {@code graph-<graph>-v<version>-<step>[-suffix]}. */
    public String uid(int node, String suffix) {
        return "graph-" + graph + "-v" + version + "-" + nodeName(node) + (suffix == null ? "" : "-" + suffix);
    }

    /** An operator name as the web UI shows it: {@code <graph>/<step>}. */
    public String name(int node) {
        return graph + "/" + nodeName(node);
    }

    private String nodeName(int node) {
        return node == output() ? "outputs" : node == INPUT ? "route" : steps.get(node).name;
    }

    @Override
    public String toString() {
        return key() + " " + steps.stream().map(s -> s.name).toList();
    }
}
