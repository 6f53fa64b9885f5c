package io.streaminfer.contract.model;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code graph.yaml} of one version of a graph ({@code kind: graph} in its {@code model.yaml}, which declares
 * the graph's inputs and outputs): its steps, and which step outputs become the graph's outputs.
 *
 * <pre>{@code
 * steps:
 *   - name: embed
 *     model: all-minilm-l6-v2
 *     inputs: {text: question}                 # model input: graph input, or step.output
 *   - name: lookup
 *     model: sotu-lookup
 *     version: 1                               # optional: the latest when the job starts
 *     inputs: {embedding: embed.embedding}
 *   - name: topic
 *     model: sotu-topics
 *     inputs: {embedding: embed.embedding}
 *     when: {output: lookup.best_score, below: 0.5}   # runs only then; skipped is not an error
 *     timeout_ms: 2000                         # optional: FAILED with TIMEOUT past it
 *     join: all                                # fed by several branches: all (default) | first
 * outputs:
 *   indices: lookup.indices
 *   topic: [topic.topic, lookup.best_index]    # the first available
 * }</pre>
 *
 * {@link #parse} reports every problem of the file at once; {@link GraphValidator} checks it against the
 * repository's models.
 */
public final class GraphSpec implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Step names: they become operator names and uids, and the dot separates step and output. */
    static final String STEP_NAME = "[A-Za-z0-9_-]{1,64}";
    /** The name of the operator that produces the graph's outputs. */
    public static final String RESERVED_STEP = "outputs";

    private final List<GraphStep> steps;
    private final Map<String, List<TensorRef>> outputs;

    public GraphSpec(List<GraphStep> steps, Map<String, List<TensorRef>> outputs) {
        this.steps = List.copyOf(steps);
        Map<String, List<TensorRef>> copy = new LinkedHashMap<>();
        outputs.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        this.outputs = Collections.unmodifiableMap(copy);
    }

    /** In graph.yaml's order. */
    public List<GraphStep> steps() {
        return steps;
    }

    /** Null when there is no such step. */
    public GraphStep step(String name) {
        for (GraphStep s : steps) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** Graph output → where it comes from (the first available of the list). */
    public Map<String, List<TensorRef>> outputs() {
        return outputs;
    }

    /** Reads a graph.yaml; null when it has problems, each added to {@code problems}. */
    public static GraphSpec read(Path file, List<String> problems) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            problems.add("cannot read " + file + ": " + e.getMessage());
            return null;
        }
        return parse(text, problems);
    }

    /** Parses graph.yaml text; null when it has problems, each added to {@code problems}. */
    public static GraphSpec parse(String yaml, List<String> problems) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            problems.add("not valid YAML: " + e.getMessage().split("\n")[0]);
            return null;
        }
        int before = problems.size();
        if (root == null || !root.isObject()) {
            problems.add("graph.yaml must be a mapping with 'steps' and 'outputs'");
            return null;
        }
        unknownKeys(root, "graph.yaml", Set.of("steps", "outputs"), problems);
        List<GraphStep> steps = new ArrayList<>();
        JsonNode stepsNode = root.get("steps");
        if (stepsNode == null || !stepsNode.isArray() || stepsNode.isEmpty()) {
            problems.add("'steps' must be a list of at least one step ({name, model, inputs})");
        } else {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < stepsNode.size(); i++) {
                GraphStep s = step(stepsNode.get(i), i, problems);
                if (s != null && !names.add(s.name())) {
                    problems.add("steps[" + i + "]: a second step named '" + s.name() + "'; step names must be "
                            + "unique");
                }
                if (s != null) {
                    steps.add(s);
                }
            }
        }
        Map<String, List<TensorRef>> outputs = refMap(root.get("outputs"), "outputs", problems);
        if (outputs != null && outputs.isEmpty()) {
            problems.add("'outputs' must map at least one graph output, e.g. {embedding: embed.embedding}");
        }
        if (outputs == null && root.get("outputs") == null) {
            problems.add("'outputs' is missing: map each graph output to a step output, e.g. "
                    + "{embedding: embed.embedding}");
        }
        return problems.size() == before ? new GraphSpec(steps, outputs) : null;
    }

    /** A generative step's prompt, texts and parameters; null when the step has no 'prompt'. */
    private static StepPrompt prompt(JsonNode n, String at, List<String> problems) {
        JsonNode p = n.get("prompt");
        JsonNode texts = n.get("texts");
        JsonNode parameters = n.get("parameters");
        if (p == null || p.isNull()) {
            if ((texts != null && !texts.isNull()) || (parameters != null && !parameters.isNull())) {
                problems.add(at + ": 'texts' and 'parameters' belong to a generative step, which needs 'prompt'");
            }
            return null;
        }
        if (!p.isTextual() || p.asText().isBlank()) {
            problems.add(at + ": 'prompt' must be a template text with the step's inputs as {name}");
            return null;
        }
        Map<String, String> t = new LinkedHashMap<>();
        if (texts != null && !texts.isNull()) {
            if (!texts.isObject()) {
                problems.add(at + ": 'texts' must map inputs to text files, e.g. {passages: "
                        + "sotu-lookup/1/references.txt}");
            } else {
                texts.fields().forEachRemaining(e -> t.put(e.getKey(), e.getValue().asText()));
            }
        }
        Map<String, Object> params = new LinkedHashMap<>();
        if (parameters != null && !parameters.isNull()) {
            if (!parameters.isObject()) {
                problems.add(at + ": 'parameters' must be a mapping, e.g. {max_tokens: 48, temperature: 0}");
            } else {
                params.putAll(YAML.convertValue(parameters, new TypeReference<
                        Map<String, Object>>() { }));
            }
        }
        return new StepPrompt(p.asText(), t, params);
    }

    private static GraphStep step(JsonNode n, int i, List<String> problems) {
        String at = "steps[" + i + "]";
        if (n == null || !n.isObject()) {
            problems.add(at + " must be a mapping {name, model, inputs}");
            return null;
        }
        int before = problems.size();
        String name = text(n, "name", at, problems, true);
        if (name != null) {
            at = at + " '" + name + "'";
            if (!name.matches(STEP_NAME)) {
                problems.add(at + ": a step name is 1 to 64 letters, digits, '-' or '_' (it names the step's "
                        + "operator; a dot would be read as step.output)");
            } else if (name.equals(RESERVED_STEP)) {
                problems.add(at + ": '" + RESERVED_STEP + "' names the graph's outputs operator; call the step "
                        + "something else");
            }
        }
        unknownKeys(n, at, Set.of("name", "model", "version", "inputs", "when", "timeout_ms", "join", "prompt",
                "texts", "parameters"), problems);
        String model = text(n, "model", at, problems, true);
        String version = null;
        JsonNode v = n.get("version");
        if (v != null && !v.isNull()) {
            if ((v.isIntegralNumber() && v.asLong() >= 0) || (v.isTextual() && v.asText().matches("[0-9]{1,18}"))) {
                version = Long.toString(Long.parseLong(v.asText()));
            } else {
                problems.add(at + ": 'version' must be a version number like 1, got '" + v.asText() + "'");
            }
        }
        Map<String, List<TensorRef>> inputs = refMap(n.get("inputs"), at + ".inputs", problems);
        if (inputs == null && n.get("inputs") == null) {
            problems.add(at + ": 'inputs' is missing: map each input of the model, e.g. {text: question} or "
                    + "{embedding: embed.embedding}");
        }
        StepCondition when = condition(n.get("when"), at + ".when", problems);
        long timeout = 0;
        JsonNode t = n.get("timeout_ms");
        if (t != null && !t.isNull()) {
            if (t.isIntegralNumber() && t.asLong() > 0) {
                timeout = t.asLong();
            } else {
                problems.add(at + ": 'timeout_ms' must be a positive number of milliseconds, got '" + t.asText()
                        + "'");
            }
        }
        GraphStep.Join join = null;
        JsonNode j = n.get("join");
        if (j != null && !j.isNull()) {
            if ("all".equals(j.asText())) {
                join = GraphStep.Join.ALL;
            } else if ("first".equals(j.asText())) {
                join = GraphStep.Join.FIRST;
            } else {
                problems.add(at + ": 'join' must be all (wait for every branch) or first (the first that gives the "
                        + "inputs), got '" + j.asText() + "'");
            }
        }
        StepPrompt prompt = prompt(n, at, problems);
        if (problems.size() != before) {
            return null;
        }
        return new GraphStep(name, model, version, inputs, when, timeout, join, prompt);
    }

    private static StepCondition condition(JsonNode n, String at, List<String> problems) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            problems.add(at + " must be a mapping like {output: step.output, below: 0.5}");
            return null;
        }
        int before = problems.size();
        unknownKeys(n, at, Set.of("output", "below", "above", "in", "not_in", "match"), problems);
        String output = text(n, "output", at, problems, true);
        TensorRef ref = null;
        if (output != null) {
            try {
                ref = TensorRef.parse(output);
            } catch (IllegalArgumentException e) {
                problems.add(at + ".output: " + e.getMessage());
            }
        }
        Double below = number(n, "below", at, problems);
        Double above = number(n, "above", at, problems);
        boolean hasIn = n.has("in");
        boolean hasNotIn = n.has("not_in");
        List<Object> values = null;
        if (hasIn && hasNotIn) {
            problems.add(at + ": give 'in' or 'not_in', not both");
        } else if (hasIn || hasNotIn) {
            values = values(n.get(hasIn ? "in" : "not_in"), at + "." + (hasIn ? "in" : "not_in"), problems);
        }
        boolean comparison = below != null || above != null;
        if (comparison && (hasIn || hasNotIn)) {
            problems.add(at + ": a condition is a comparison (below/above) or a set (in/not_in), not both");
        }
        if (!comparison && !hasIn && !hasNotIn) {
            problems.add(at + ": say what must hold: below, above, in or not_in (e.g. {output: " + output
                    + ", below: 0.5})");
        }
        StepCondition.Match match = null;
        JsonNode m = n.get("match");
        if (m != null && !m.isNull()) {
            if ("any".equals(m.asText())) {
                match = StepCondition.Match.ANY;
            } else if ("all".equals(m.asText())) {
                match = StepCondition.Match.ALL;
            } else {
                problems.add(at + ": 'match' must be any (some element passes; the default) or all, got '"
                        + m.asText() + "'");
            }
        }
        if (problems.size() != before) {
            return null;
        }
        return new StepCondition(ref, below, above, values, hasNotIn, match);
    }

    private static List<Object> values(JsonNode n, String at, List<String> problems) {
        if (n == null || !n.isArray()) {
            problems.add(at + " must be a list of values, e.g. [1, 2] or [\"en\", \"de\"]");
            return null;
        }
        List<Object> out = new ArrayList<>();
        for (JsonNode v : n) {
            if (v.isNumber()) {
                out.add(v.asDouble());
            } else if (v.isBoolean()) {
                out.add(v.asBoolean());
            } else if (v.isTextual()) {
                out.add(v.asText());
            } else {
                problems.add(at + ": '" + v + "' is not a number, boolean or string");
            }
        }
        return out;
    }

    private static Double number(JsonNode n, String key, String at, List<String> problems) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            problems.add(at + ": '" + key + "' must be a number, got '" + v.asText() + "'");
            return null;
        }
        return v.asDouble();
    }

    /** A mapping of names to a reference or a list of references (the first available). */
    private static Map<String, List<TensorRef>> refMap(JsonNode n, String at, List<String> problems) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            problems.add(at + " must be a mapping of names to step.output (or graph input), e.g. "
                    + "{embedding: embed.embedding}");
            return null;
        }
        Map<String, List<TensorRef>> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String where = at + "." + e.getKey();
            List<TensorRef> refs = new ArrayList<>();
            JsonNode v = e.getValue();
            List<JsonNode> items = new ArrayList<>();
            if (v.isArray()) {
                v.forEach(items::add);
                if (items.isEmpty()) {
                    problems.add(where + ": an empty list; name at least one source");
                }
            } else {
                items.add(v);
            }
            for (JsonNode item : items) {
                if (!item.isTextual()) {
                    problems.add(where + ": '" + item + "' is not a tensor reference (step.output or a graph input)");
                    continue;
                }
                try {
                    refs.add(TensorRef.parse(item.asText()));
                } catch (IllegalArgumentException ex) {
                    problems.add(where + ": " + ex.getMessage());
                }
            }
            out.put(e.getKey(), refs);
        }
        return out;
    }

    private static String text(JsonNode n, String key, String at, List<String> problems, boolean required) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
            if (required) {
                problems.add(at + ": '" + key + "' is required");
            }
            return null;
        }
        if (!v.isValueNode() || v.isBoolean()) {
            problems.add(at + ": '" + key + "' must be text, got " + v);
            return null;
        }
        return v.asText();
    }

    private static void unknownKeys(JsonNode n, String at, Set<String> known, List<String> problems) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!known.contains(key)) {
                problems.add(at + ": unknown key '" + key + "' (known: " + new java.util.TreeSet<>(known) + ")");
            }
        }
    }
}
