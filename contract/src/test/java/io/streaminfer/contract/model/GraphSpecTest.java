package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** graph.yaml parsing: what it reads, and every problem it reports, all at once. */
class GraphSpecTest {
    private static List<String> problems(String yaml) {
        List<String> problems = new ArrayList<>();
        GraphSpec spec = GraphSpec.parse(yaml, problems);
        assertThat(spec).as("a graph.yaml with problems gives no spec").isNull();
        return problems;
    }

    @Test
    void readsStepsInputsConditionsTimeoutsJoinsAndOutputs() {
        List<String> problems = new ArrayList<>();
        GraphSpec spec = GraphSpec.parse(String.join("\n",
                "steps:",
                "  - name: embed",
                "    model: enc",
                "    inputs: {text: question}",
                "  - name: score",
                "    model: scorer",
                "    version: 2",
                "    inputs: {embedding: embed.embedding}",
                "    when: {output: embed.embedding, above: 0.1, below: 0.9, match: all}",
                "    timeout_ms: 250",
                "    join: first",
                "outputs:",
                "  score: [score.score, other.score]",
                "  label: score.label",
                ""), problems);

        assertThat(problems).isEmpty();
        assertThat(spec.steps()).extracting(GraphStep::name).containsExactly("embed", "score");
        GraphStep score = spec.step("score");
        assertThat(score.model()).isEqualTo("scorer");
        assertThat(score.version()).isEqualTo("2");
        assertThat(score.inputs().get("embedding")).containsExactly(TensorRef.stepOutput("embed", "embedding"));
        assertThat(score.timeoutMs()).isEqualTo(250);
        assertThat(score.join()).isEqualTo(GraphStep.Join.FIRST);
        assertThat(score.when().below()).isEqualTo(0.9);
        assertThat(score.when().above()).isEqualTo(0.1);
        assertThat(score.when().match()).isEqualTo(StepCondition.Match.ALL);
        assertThat(spec.step("embed").inputs().get("text")).containsExactly(TensorRef.graphInput("question"));
        assertThat(spec.step("embed").version()).isNull();
        assertThat(spec.step("embed").join()).isEqualTo(GraphStep.Join.ALL);
        assertThat(spec.step("embed").when()).isNull();
        assertThat(spec.outputs().get("score")).extracting(TensorRef::toString)
                .containsExactly("score.score", "other.score");
        assertThat(spec.step("nope")).isNull();
    }

    @Test
    void setConditionsReadNumbersBooleansAndStrings() {
        List<String> problems = new ArrayList<>();
        GraphSpec spec = GraphSpec.parse("steps: [{name: a, model: m, inputs: {x: q}, when: {output: q, not_in: "
                + "[1, true, en]}}]\noutputs: {y: a.y}\n", problems);

        assertThat(problems).isEmpty();
        StepCondition c = spec.step("a").when();
        assertThat(c.negated()).isTrue();
        assertThat(c.values()).containsExactly(1.0, true, "en");
        assertThat(c.output().isGraphInput()).isTrue();
    }

    @Test
    void notAMappingOrNotYaml() {
        assertThat(problems("- a\n- b\n")).containsExactly("graph.yaml must be a mapping with 'steps' and 'outputs'");
        assertThat(problems("steps: [\n")).singleElement().asString().startsWith("not valid YAML: ");
    }

    @Test
    void missingOrEmptyStepsAndOutputs() {
        assertThat(problems("{}\n")).containsExactly(
                "'steps' must be a list of at least one step ({name, model, inputs})",
                "'outputs' is missing: map each graph output to a step output, e.g. {embedding: embed.embedding}");
        assertThat(problems("steps: []\noutputs: {}\n")).containsExactly(
                "'steps' must be a list of at least one step ({name, model, inputs})",
                "'outputs' must map at least one graph output, e.g. {embedding: embed.embedding}");
        assertThat(problems("steps: [{name: a, model: m, inputs: {x: q}}]\noutputs: [a.y]\n")).containsExactly(
                "outputs must be a mapping of names to step.output (or graph input), e.g. "
                        + "{embedding: embed.embedding}");
    }

    @Test
    void everyProblemOfEveryStepIsListed() {
        List<String> p = problems(String.join("\n",
                "extra: 1",
                "steps:",
                "  - just text",
                "  - {model: m, inputs: {x: q}}",
                "  - {name: 'has.dot', model: m, inputs: {x: q}}",
                "  - {name: a, inputs: {x: q}, colour: red}",
                "  - {name: b, model: m}",
                "  - {name: c, model: m, version: latest, inputs: {x: q}, timeout_ms: -5, join: some}",
                "  - {name: d, model: m, inputs: {x: [], y: 3, z: '.z', w: 'w.'}}",
                "  - {name: e, model: m, inputs: {x: q}}",
                "  - {name: e, model: m, inputs: {x: q}}",
                "  - {name: outputs, model: m, inputs: {x: q}}",
                "outputs: {y: e.y}",
                ""));

        assertThat(p).containsExactly(
                "graph.yaml: unknown key 'extra' (known: [outputs, steps])",
                "steps[0] must be a mapping {name, model, inputs}",
                "steps[1]: 'name' is required",
                "steps[2] 'has.dot': a step name is 1 to 64 letters, digits, '-' or '_' (it names the step's "
                        + "operator; a dot would be read as step.output)",
                "steps[3] 'a': unknown key 'colour' (known: [inputs, join, model, name, parameters, prompt, texts, "
                        + "timeout_ms, version, when])",
                "steps[3] 'a': 'model' is required",
                "steps[4] 'b': 'inputs' is missing: map each input of the model, e.g. {text: question} or "
                        + "{embedding: embed.embedding}",
                "steps[5] 'c': 'version' must be a version number like 1, got 'latest'",
                "steps[5] 'c': 'timeout_ms' must be a positive number of milliseconds, got '-5'",
                "steps[5] 'c': 'join' must be all (wait for every branch) or first (the first that gives the inputs), "
                        + "got 'some'",
                "steps[6] 'd'.inputs.x: an empty list; name at least one source",
                "steps[6] 'd'.inputs.y: '3' is not a tensor reference (step.output or a graph input)",
                "steps[6] 'd'.inputs.z: '.z' is not a tensor reference: write a graph input's name, or step.output",
                "steps[6] 'd'.inputs.w: 'w.' is not a tensor reference: write a graph input's name, or step.output",
                "steps[8]: a second step named 'e'; step names must be unique",
                "steps[9] 'outputs': 'outputs' names the graph's outputs operator; call the step something else");
    }

    @Test
    void everyProblemOfAConditionIsListed() {
        List<String> p = problems(String.join("\n",
                "steps:",
                "  - {name: a, model: m, inputs: {x: q}, when: 'a.y < 3'}",
                "  - {name: b, model: m, inputs: {x: q}, when: {below: 1, level: 2}}",
                "  - {name: c, model: m, inputs: {x: q}, when: {output: a.y}}",
                "  - {name: d, model: m, inputs: {x: q}, when: {output: a.y, below: low, in: [1], not_in: [2]}}",
                "  - {name: e, model: m, inputs: {x: q}, when: {output: a.y, below: 1, in: [1], match: most}}",
                "  - {name: f, model: m, inputs: {x: q}, when: {output: a.y, in: 3}}",
                "  - {name: g, model: m, inputs: {x: q}, when: {output: a.y, in: [[1]]}}",
                "outputs: {y: a.y}",
                ""));

        assertThat(p).containsExactly(
                "steps[0] 'a'.when must be a mapping like {output: step.output, below: 0.5}",
                "steps[1] 'b'.when: unknown key 'level' (known: [above, below, in, match, not_in, output])",
                "steps[1] 'b'.when: 'output' is required",
                "steps[2] 'c'.when: say what must hold: below, above, in or not_in (e.g. {output: a.y, below: 0.5})",
                "steps[3] 'd'.when: 'below' must be a number, got 'low'",
                "steps[3] 'd'.when: give 'in' or 'not_in', not both",
                "steps[4] 'e'.when: a condition is a comparison (below/above) or a set (in/not_in), not both",
                "steps[4] 'e'.when: 'match' must be any (some element passes; the default) or all, got 'most'",
                "steps[5] 'f'.when.in must be a list of values, e.g. [1, 2] or [\"en\", \"de\"]",
                "steps[6] 'g'.when.in: '[1]' is not a number, boolean or string");
    }

    @Test
    void tensorReferences() {
        assertThat(TensorRef.parse("question").isGraphInput()).isTrue();
        assertThat(TensorRef.parse("embed.embedding").step()).isEqualTo("embed");
        assertThat(TensorRef.parse("embed.embedding").tensor()).isEqualTo("embedding");
        assertThat(TensorRef.parse("a.b.c").tensor()).as("the first dot separates").isEqualTo("b.c");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> TensorRef.parse(" ")))
                .hasMessage("an empty tensor reference: write a graph input's name, or step.output");
    }
}
