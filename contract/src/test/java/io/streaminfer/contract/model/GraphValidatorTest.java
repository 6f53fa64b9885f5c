package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graphs checked against the repository's models when it opens: a sound graph loads, and every kind of problem is
 * reported, all at once, naming the graph, its version and the step or output, with what to change.
 */
class GraphValidatorTest {
    static final String SCORER = String.join("\n",
            "kind: tensor",
            "max_batch_size: 64",
            "inputs: [{name: embedding, datatype: FP32, shape: [-1, 384]}]",
            "outputs:",
            "  - {name: score, datatype: FP32, shape: [-1]}",
            "  - {name: label, datatype: INT64, shape: [-1]}",
            "");
    static final String TAIL = String.join("\n",
            "kind: tensor",
            "inputs: [{name: score, datatype: FP32, shape: [-1]}]",
            "outputs: [{name: score, datatype: FP32, shape: [-1]}]",
            "");
    static final String SMALL = String.join("\n",
            "kind: tensor",
            "max_batch_size: 8",
            "inputs: [{name: features, datatype: FP32, shape: [-1, 4]}]",
            "outputs: [{name: label, datatype: INT64, shape: [-1]}]",
            "");
    /** embed → score → (when the score is low) rescore; outputs from both. */
    static final String GOOD = String.join("\n",
            "steps:",
            "  - {name: embed, model: enc, inputs: {text: question}}",
            "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
            "  - name: rescore",
            "    model: scorer",
            "    inputs: {embedding: embed.embedding}",
            "    when: {output: score.score, below: 0.5}",
            "outputs:",
            "  score: [rescore.score, score.score]",
            "  label: score.label",
            "");

    /** A generative model whose max_tokens is at most 64. */
    static final String GENERATIVE = GenerationSettingsTest.YAML.replace("end_of_sequence: [2047]",
            "end_of_sequence: [2047]\n  max_tokens: {default: 16, max: 64}");
    static final String LOOKUP = String.join("\n",
            "kind: tensor",
            "inputs: [{name: embedding, datatype: FP32, shape: [-1, 384]}]",
            "outputs:",
            "  - {name: indices, datatype: INT64, shape: [-1, 5]}",
            "  - {name: best, datatype: FP32, shape: [-1]}",
            "");
    static final String RAG_YAML = String.join("\n",
            "kind: graph",
            "inputs: [{name: question, datatype: BYTES, shape: [-1]}]",
            "outputs: [{name: answer, datatype: BYTES, shape: [-1]}]",
            "");
    /** embed → look up → generate from the question and the lines looked up. */
    static final String RAG = String.join("\n",
            "steps:",
            "  - {name: embed, model: enc, inputs: {text: question}}",
            "  - {name: look, model: lookup, inputs: {embedding: embed.embedding}}",
            "  - name: answer",
            "    model: gpt",
            "    inputs: {question: question, passages: look.indices}",
            "    texts: {passages: lookup/1/lines.txt}",
            "    prompt: \"{passages}\\nQ: {question}\\nA:\"",
            "    parameters: {max_tokens: 8, temperature: 0}",
            "outputs: {answer: answer.text_output}",
            "");

    @TempDir
    Path root;

    private RepoFixture repo;

    @BeforeEach
    void setUp() {
        repo = new RepoFixture(root).textModel("enc").model("scorer", SCORER).version("scorer", "1", "model.pt")
                .model("small", SMALL).version("small", "1", "model.pt")
                .model("tail", TAIL).version("tail", "1", "model.pt")
                .model("gpt", GENERATIVE).version("gpt", "1", "model.pt", "tokenizer.json")
                .model("lookup", LOOKUP).version("lookup", "1", "model.pt", "lines.txt");
    }

    /** The problems of graph g version 1, without their common prefix. */
    private List<String> problems(String modelYaml, String graphYaml) {
        repo.graph("g", modelYaml, graphYaml);
        Throwable t = catchThrowable(repo::open);
        assertThat(t).as("the repository should be refused").isInstanceOf(IllegalStateException.class);
        return t.getMessage().lines().skip(1).map(l -> {
            assertThat(l).startsWith("  - graph g version 1: ");
            return l.substring("  - graph g version 1: ".length());
        }).toList();
    }

    private List<String> problems(String graphYaml) {
        return problems(RepoFixture.GRAPH_YAML, graphYaml);
    }

    @Test
    void aSoundGraphLoadsAsAModelOfKindGraph() {
        ModelRepository r = repo.graph("g", RepoFixture.GRAPH_YAML, GOOD).open();

        ModelVersion g = r.resolve("g", null);
        assertThat(g.config().isGraph()).isTrue();
        assertThat(g.config().platform()).isEqualTo("ensemble");
        assertThat(g.config().modelFile()).isEqualTo("graph.yaml");
        assertThat(g.graph().steps()).extracting(GraphStep::name).containsExactly("embed", "score", "rescore");
        assertThat(r.graphs()).extracting(ModelRepository.ModelEntry::name).containsExactly("g");
        assertThat(r.resolve("enc", null).graph()).isNull();
        GraphTopology t = new GraphTopology(g.graph());
        assertThat(t.order()).containsExactly("embed", "score", "rescore");
        assertThat(t.feeds("rescore")).as("embed's tensors arrive with score's record").containsExactly("score");
        assertThat(t.feeds(GraphTopology.OUTPUT)).containsExactly("rescore");
        assertThat(t.consumers(GraphTopology.INPUT)).containsExactly("embed");
        assertThat(t.consumers("score")).containsExactly("rescore");
        assertThat(t.consumers("rescore")).containsExactly(GraphTopology.OUTPUT);
    }

    @Test
    void aGraphYamlThatCannotBeReadIsReportedWithItsFile() {
        assertThat(problems("steps: []\noutputs: {score: a.score}\n")).containsExactly(
                "graph.yaml: 'steps' must be a list of at least one step ({name, model, inputs})");
    }

    @Test
    void aVersionFolderWithoutGraphYaml() {
        repo.model("g", RepoFixture.GRAPH_YAML).version("g", "1", "model.pt");
        assertThat(catchThrowable(repo::open).getMessage()).contains("g version 1: missing file "
                + root.resolve("g").resolve("1").resolve("graph.yaml"));
    }

    @Test
    void modelSettingsDoNotApplyToAGraph() {
        repo.model("g", RepoFixture.GRAPH_YAML + "workers: 2\n").version("g", "1", "graph.yaml");
        assertThat(catchThrowable(repo::open).getMessage()).contains("'workers' does not apply to a graph (its "
                + "steps' models have their own); remove it");
    }

    @Test
    void unknownModelsVersionsAndNestedGraphs() {
        repo.graph("inner", RepoFixture.GRAPH_YAML, GOOD);
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: a, model: nope, inputs: {text: question}}",
                "  - {name: b, model: enc, version: 7, inputs: {text: question}}",
                "  - {name: c, model: inner, inputs: {question: question}}",
                "outputs: {score: [a.score, b.embedding, c.score], label: c.label}",
                ""))).containsExactly(
                "step 'a': unknown model 'nope'; the repository has [enc, g, gpt, inner, lookup, scorer, small, tail]",
                "step 'b': model 'enc' has no version '7'; it has [1] (or leave 'version' out for the latest)",
                "step 'c': 'inner' is a graph; a step runs a model (graphs do not nest: copy its steps into this graph)");
    }

    @Test
    void unconnectedAndUnknownInputs() {
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {txt: question}}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "outputs: {score: score.score, label: score.label}",
                ""))).containsExactly(
                "step 'embed': model enc:1 has no input 'txt'; it takes [text]",
                "step 'embed': input 'text' of model enc:1 is not connected; map it in 'inputs' from a graph input "
                        + "[question] or an earlier step's output (step.output)");
    }

    @Test
    void referencesToUnknownGraphInputsStepsAndOutputs() {
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: quesiton}}",
                "  - {name: score, model: scorer, inputs: {embedding: [embedd.embedding, embed.emb]}}",
                "  - {name: self, model: scorer, inputs: {embedding: self.score}}",
                "outputs: {score: score.score, label: score.label}",
                ""))).contains(
                "step 'embed' input 'text': 'quesiton' is not a graph input (the graph takes [question]); for a "
                        + "step's output write step.output",
                "step 'score' input 'embedding': no step 'embedd' (steps: [embed, score, self])",
                "step 'score' input 'embedding': step 'embed' (model enc:1) has no output 'emb'; it gives [embedding]",
                "step 'self' input 'embedding': step 'self' reads its own output self.score; a step can only read "
                        + "graph inputs and outputs of other steps");
    }

    @Test
    void cyclesAreNamed() {
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: a, model: scorer, inputs: {embedding: b.embedding}}",
                "  - {name: b, model: enc, inputs: {text: question}, when: {output: a.score, below: 1}}",
                "outputs: {score: a.score, label: a.label}",
                ""))).contains("steps form a cycle: a → b → a; a step can only read outputs of steps that do not "
                + "depend on it");
    }

    @Test
    void datatypeAndShapeMismatchesBetweenConnectedTensors() {
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "  - {name: wrongtype, model: small, inputs: {features: score.label}}",
                "  - {name: wrongshape, model: small, inputs: {features: embed.embedding}}",
                "outputs: {score: wrongtype.label, label: [wrongshape.label, score.score]}",
                ""))).contains(
                "step 'wrongtype' input 'features': score.label is INT64 but model small:1 takes FP32",
                "step 'wrongshape' input 'features': embed.embedding has shape [-1, 384] but model small:1 takes "
                        + "[-1, 4]",
                "output 'score': wrongtype.label is INT64 but model.yaml declares FP32",
                "output 'label': score.score is FP32 but model.yaml declares INT64");
    }

    @Test
    void variableDimensionsMatchAnySize() {
        String anyWidth = String.join("\n",
                "kind: graph",
                "inputs: [{name: question, datatype: BYTES, shape: [-1]}]",
                "outputs:",
                "  - {name: score, datatype: FP32, shape: [-1]}",
                "  - {name: label, datatype: INT64, shape: [-1]}",
                "  - {name: embedding, datatype: FP32, shape: [-1, -1]}",
                "");
        ModelRepository r = repo.graph("g", anyWidth, GOOD.replace("  label: score.label",
                "  label: score.label\n  embedding: embed.embedding")).open();
        assertThat(r.resolve("g", "1").graph().outputs()).containsKey("embedding");
    }

    @Test
    void outputsMustMatchTheDeclaredOnes() {
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "outputs: {score: score.score, extra: score.label, gone: nowhere.x}",
                ""))).containsExactly(
                "output 'label' (declared in model.yaml) is not mapped: add it to graph.yaml's 'outputs', e.g. "
                        + "label: step.output",
                "output 'extra' is not declared in the graph's model.yaml (it declares [score, label]); declare it "
                        + "there or remove it",
                "output 'gone' is not declared in the graph's model.yaml (it declares [score, label]); declare it "
                        + "there or remove it",
                "output 'gone': no step 'nowhere' (steps: [embed, score])");
    }

    @Test
    void conditionsOnUnknownTensorsOrOfTheWrongType() {
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "  - {name: a, model: scorer, inputs: {embedding: embed.embedding}, when: {output: score.nope, below: 1}}",
                "  - {name: b, model: scorer, inputs: {embedding: embed.embedding}, when: {output: question, above: 1}}",
                "  - {name: c, model: scorer, inputs: {embedding: embed.embedding}, when: {output: score.label, in: [x, 1]}}",
                "  - {name: d, model: scorer, inputs: {embedding: embed.embedding}, when: {output: question, in: [1]}}",
                "outputs: {score: [a.score, b.score, c.score, d.score, score.score], label: score.label}",
                ""))).containsExactly(
                "step 'a' when: step 'score' (model scorer:1) has no output 'nope'; it gives [score, label]",
                "step 'b' when: below/above compare numbers, but question is BYTES; use in or not_in",
                "step 'c' when: score.label is INT64, so 'x' can never match; give numbers",
                "step 'd' when: question is BYTES, so '1.0' can never match; give strings");
    }

    @Test
    void stepsThatCanNeverRunAndOutputsNoBranchCanProduce() {
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "  - {name: empty, model: scorer, inputs: {embedding: embed.embedding},",
                "     when: {output: score.score, above: 0.8, below: 0.2}}",
                "  - {name: after, model: scorer, inputs: {embedding: embed.embedding},",
                "     when: {output: empty.score, above: 0}}",
                "  - {name: none, model: scorer, inputs: {embedding: embed.embedding},",
                "     when: {output: score.label, in: []}}",
                "outputs: {score: [after.score, empty.score], label: [none.label, score.label]}",
                ""))).containsExactly(
                "step 'empty' can never run: its condition {output: score.score, below: 0.2, above: 0.8} holds for "
                        + "no value; change the condition or the inputs",
                "step 'after' can never run: it needs step 'empty', which can never run; change the condition or "
                        + "the inputs",
                "step 'none' can never run: its condition {output: score.label, in: []} holds for no value; change "
                        + "the condition or the inputs",
                "output 'score' can never be produced: no step it maps from ([after.score, empty.score]) can ever run");
    }

    @Test
    void contradictingConditionsOfEveryElement() {
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "  - {name: low, model: scorer, inputs: {embedding: embed.embedding},",
                "     when: {output: score.score, below: 0.3, match: all}}",
                "  - {name: high, model: tail, inputs: {score: low.score},",
                "     when: {output: score.score, above: 0.6, match: all}}",
                "outputs: {score: high.score, label: score.label}",
                ""))).containsExactly(
                "step 'high' can never run: its condition {output: score.score, above: 0.6, match: all} contradicts "
                        + "{output: score.score, below: 0.3, match: all}, which must hold for it to be reached; change "
                        + "the condition or the inputs",
                "output 'score' can never be produced: no step it maps from ([high.score]) can ever run");
    }

    @Test
    void stepsAndInputsThatReachNoOutput() {
        String twoInputs = RepoFixture.GRAPH_YAML.replace("inputs: [{name: question, datatype: BYTES, shape: [-1]}]",
                "inputs: [{name: question, datatype: BYTES, shape: [-1]}, {name: unused, datatype: FP32, shape: [-1]}]");
        assertThat(problems(twoInputs, String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "  - {name: idle, model: scorer, inputs: {embedding: embed.embedding}}",
                "outputs: {score: score.score, label: score.label}",
                ""))).containsExactly(
                "step 'idle' feeds no output: no graph output comes from it or from a step after it; map one of its "
                        + "outputs in 'outputs', or remove the step",
                "graph input 'unused' is used by no step; map it into a step's inputs, or remove it from model.yaml");
    }

    @Test
    void aFirstJoinNeedsSeveralBranchesAndRowsMustFitEveryStep() {
        assertThat(problems(RepoFixture.GRAPH_YAML + "max_batch_size: 128\n", String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}, join: first}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "outputs: {score: score.score, label: score.label}",
                ""))).containsExactly(
                "step 'embed': model enc:1 takes at most 32 rows, but the graph's max_batch_size is 128; lower "
                        + "max_batch_size in the graph's model.yaml",
                "step 'embed': 'join: first' applies to a step fed by two or more branches; this one follows the "
                        + "graph's inputs only: remove 'join'",
                "step 'score': model scorer:1 takes at most 64 rows, but the graph's max_batch_size is 128; lower "
                        + "max_batch_size in the graph's model.yaml");
    }

    @Test
    void graphInputNamesCannotHoldADot() {
        assertThat(problems(RepoFixture.GRAPH_YAML.replace("name: question", "name: the.question"), String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: the.question}}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "outputs: {score: score.score, label: score.label}",
                ""))).contains("graph input 'the.question': its name must not contain '.' (step.output references "
                + "use it); rename it in model.yaml");
    }

    @Test
    void fanInIsFedByEveryBranchNotImpliedByAnother() {
        String yaml = String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}}",
                "  - {name: a, model: scorer, inputs: {embedding: embed.embedding}}",
                "  - {name: b, model: scorer, inputs: {embedding: embed.embedding}}",
                "  - {name: pick, model: scorer, inputs: {embedding: embed.embedding},",
                "     when: {output: a.score, above: 0}}",
                "outputs: {score: [pick.score, b.score], label: a.label}",
                "");
        GraphSpec spec = repo.graph("g", RepoFixture.GRAPH_YAML, yaml).open()
                .resolve("g", null).graph();
        GraphTopology t = new GraphTopology(spec);
        assertThat(t.feeds("pick")).containsExactly("a");
        assertThat(t.feeds(GraphTopology.OUTPUT)).containsExactly("pick", "b");
        assertThat(t.consumers("embed")).containsExactly("a", "b");
        assertThat(t.consumers("a")).containsExactly("pick");
        assertThat(t.consumers("b")).containsExactly(GraphTopology.OUTPUT);
    }

    @Test
    void aGenerativeStepTakesAPromptOfItsInputsAndTheLinesItsIndicesName() {
        ModelRepository r = repo.graph("g", RAG_YAML, RAG).open();
        GraphStep answer = r.resolve("g", null).graph().steps().get(2);
        StepPrompt prompt = answer.prompt().orElseThrow();
        assertThat(prompt.placeholders()).containsExactly("passages", "question");
        assertThat(prompt.texts()).containsEntry("passages", "lookup/1/lines.txt");
        assertThat(prompt.parameters()).containsEntry("max_tokens", 8).containsEntry("temperature", 0);
        assertThat(prompt.render(Map.of("passages", "one\ntwo", "question", "why?")))
                .isEqualTo("one\ntwo\nQ: why?\nA:");
        assertThat(prompt.render(Map.of("passages", "$1 \\ {x}", "question", "q")))
                .as("values are taken literally").isEqualTo("$1 \\ {x}\nQ: q\nA:");
        assertThat(r.resolve("g", null).graph().steps().get(0).prompt()).isEmpty();
    }

    @Test
    void promptsBelongToGenerativeStepsAndUseEveryInput() {
        assertThat(problems(RAG_YAML, RAG.replace("    prompt: \"{passages}\\nQ: {question}\\nA:\"\n", "")
                .replace("    texts: {passages: lookup/1/lines.txt}\n", "")
                .replace("    parameters: {max_tokens: 8, temperature: 0}\n", "")))
                .containsExactly("step 'answer': model gpt:1 is generative: give 'prompt', a template of the "
                        + "step's inputs, e.g. 'Question: {question}\\nAnswer:'");
        assertThat(problems(String.join("\n",
                "steps:",
                "  - {name: embed, model: enc, inputs: {text: question}, prompt: 'x {text}'}",
                "  - {name: score, model: scorer, inputs: {embedding: embed.embedding}}",
                "outputs: {score: score.score, label: score.label}",
                ""))).containsExactly("step 'embed': 'prompt' belongs to a step of a generative model; enc:1 is a "
                        + "text-embedding model");
        assertThat(problems(RAG_YAML, RAG.replace("{passages}\\nQ: {question}", "{passage}\\nQ:")))
                .containsExactly(
                        "step 'answer': 'prompt' uses {passage}, which is not one of the step's inputs "
                                + "[question, passages]",
                        "step 'answer': input 'question' is not used in 'prompt'; add {question} or remove it",
                        "step 'answer': input 'passages' is not used in 'prompt'; add {passages} or remove it");
    }

    @Test
    void indicesNeedTheirTextsAndTheFileMustBeInTheRepository() {
        assertThat(problems(RAG_YAML, RAG.replace("    texts: {passages: lookup/1/lines.txt}\n", "")))
                .containsExactly("step 'answer' input 'passages': look.indices is INT64; a prompt takes text "
                        + "(BYTES), or integers with 'texts' naming the file they index");
        assertThat(problems(RAG_YAML, RAG.replace("{passages: lookup/1/lines.txt}",
                "{passages: lookup/1/lines.txt, question: lookup/1/lines.txt}")))
                .containsExactly("step 'answer' input 'question': question is BYTES; with 'texts' it must be "
                        + "integers (line indices)");
        assertThat(problems(RAG_YAML, RAG.replace("lookup/1/lines.txt", "../secrets.txt")))
                .containsExactly("step 'answer': 'texts' passages: no file ../secrets.txt in the repository "
                        + root);
    }

    @Test
    void parametersAreCheckedAsTheModelReadsThem() {
        List<String> problems = problems(RAG_YAML, RAG.replace("{max_tokens: 8, temperature: 0}",
                "{max_tokens: 100, temperature: -1}"));
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).startsWith("step 'answer': 'parameters': ").contains("max_tokens", "temperature");
        assertThat(problems(RAG_YAML, RAG.replace("    parameters", "    parametres"))).anySatisfy(p ->
                assertThat(p).contains("parametres"));
    }
}
