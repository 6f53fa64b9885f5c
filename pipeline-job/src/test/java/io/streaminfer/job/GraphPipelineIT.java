package io.streaminfer.job;

import static io.streaminfer.job.PipelineHarness.features;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.TokenText;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.job.testing.SotuQa;
import io.streaminfer.job.testing.TopicCollector;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.GenerativeReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import io.streaminfer.runtime.RuntimeOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Graphs of models in the job, on real parts (an in-process broker, a MiniCluster with RocksDB, the real models
 * through DJL): the shipped example sotu-qa against its models called one after another by hand, and two small
 * test graphs over tiny-mlp (whose module raises on any value <= -1000) for a failing step, a skipped branch and a
 * fan-in. One job serves every test, from a repository of the shipped models plus the test graphs.
 */
class GraphPipelineIT {
    private static final Logger LOG = LoggerFactory.getLogger(GraphPipelineIT.class);
    static final Duration WAIT = Duration.ofSeconds(180);
    /** tiny-mlp inputs of known labels (deploy/models/tiny-mlp/1/reference.json). */
    static final float[] LABEL_0 = {1, 2, 3, 4};
    static final float[] LABEL_1 = {-1.5f, 2.25f, -0.75f, 0.5f};
    static final float[] LABEL_2 = {3, -1, 0.5f, -2};

    /** first on input a; second on input b, only when first's label is 0 or 1. */
    static final String MLP_TWO = String.join("\n",
            "kind: graph",
            "inputs:",
            "  - {name: a, datatype: FP32, shape: [-1, 4]}",
            "  - {name: b, datatype: FP32, shape: [-1, 4]}",
            "outputs:",
            "  - {name: first_label, datatype: INT64, shape: [-1]}",
            "  - {name: second_label, datatype: INT64, shape: [-1]}",
            "");
    static final String MLP_TWO_GRAPH = String.join("\n",
            "steps:",
            "  - {name: first, model: tiny-mlp, inputs: {features: a}}",
            "  - {name: second, model: tiny-mlp, inputs: {features: b}, when: {output: first.label, in: [0, 1]}}",
            "outputs: {first_label: first.label, second_label: second.label}",
            "");
    /** left on a and right on b, independent branches joined before the outputs. */
    static final String MLP_FAN = MLP_TWO.replace("first_label", "left").replace("second_label", "right");
    static final String MLP_FAN_GRAPH = String.join("\n",
            "steps:",
            "  - {name: left, model: tiny-mlp, inputs: {features: a}}",
            "  - {name: right, model: tiny-mlp, inputs: {features: b}}",
            "outputs: {left: left.label, right: right.label}",
            "");

    /** deploy/models/sotu-rag: embed, look up, and sotu-gpt continues the passages and the question. */
    static final String RAG = "sotu-rag";
    static final String GENERATOR = "sotu-gpt";
    /** sotu-rag/1/graph.yaml's answer step: its prompt template and max_tokens. */
    static final int RAG_MAX_TOKENS = 48;

    @RegisterExtension
    static final MiniClusterExtension FLINK = PipelineHarness.miniCluster();

    static EmbeddedKafka kafka;
    static PipelineHarness pipeline;
    static Path repository;

    @BeforeAll
    static void start() throws Exception {
        repository = testRepository();
        kafka = EmbeddedKafka.start();
        pipeline = new PipelineHarness(kafka, "graphs", "at-least-once", c -> c.models.dir = repository.toString());
        pipeline.startJob();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** The shipped models and sotu-qa (linked), and the test graphs. */
    static Path testRepository() throws IOException {
        Path shipped = Path.of(System.getProperty("streaminfer.models.dir")).toAbsolutePath();
        Path dir = Files.createTempDirectory("graph-it-models");
        for (String m : List.of(SotuQa.EMBED, SotuQa.LOOKUP, SotuQa.TOPICS, SotuQa.GRAPH, "tiny-mlp", GENERATOR,
                RAG)) {
            Files.createSymbolicLink(dir.resolve(m), shipped.resolve(m));
        }
        graph(dir, "mlp-two", MLP_TWO, MLP_TWO_GRAPH);
        graph(dir, "mlp-fan", MLP_FAN, MLP_FAN_GRAPH);
        return dir;
    }

    private static void graph(Path repo, String name, String modelYaml, String graphYaml) throws IOException {
        Files.createDirectories(repo.resolve(name).resolve("1"));
        Files.writeString(repo.resolve(name).resolve("model.yaml"), modelYaml);
        Files.writeString(repo.resolve(name).resolve("1").resolve("graph.yaml"), graphYaml);
    }

    static String twoInputs(String id, float[][] a, float[][] b) {
        return new String(OipJson.writeRequest(new InferenceRequest(id, List.of(matrix("a", a), matrix("b", b)))),
                StandardCharsets.UTF_8);
    }

    static Tensor matrix(String name, float[]... rows) {
        float[] flat = new float[rows.length * 4];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * 4, 4);
        }
        return Tensor.ofFloats(name, new long[] {rows.length, 4}, flat);
    }

    static InferenceResponse response(String id) {
        return OipJson.parseResponse(pipeline.results.get(id).get(0).value());
    }

    /** The status records of an ID as (state, step) pairs, in the order the topic has them. */
    static List<String> progress(String id) {
        return pipeline.statuses(id).stream().map(s -> s.state() + (s.step() == null ? "" : " " + s.step()))
                .toList();
    }

    @Test
    void aThousandQuestionsGiveWhatItsModelsGiveCalledOneAfterAnother() {
        List<String> questions = RealTexts.load(Path.of(System.getProperty("streaminfer.models.dir"))).stream()
                .filter(t -> t.length() <= 300).limit(1000).toList();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            String id = "qa-" + i;
            ids.add(id);
            pipeline.send(id, SotuQa.GRAPH, new String(OipJson.writeRequest(new InferenceRequest(id,
                    List.of(Tensor.ofStrings("question", questions.get(i))))), StandardCharsets.UTF_8));
        }
        pipeline.flush();
        List<SotuQa.Answer> expected;
        try (ModelRuntime runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(repository)
                .models(Set.of(SotuQa.EMBED, SotuQa.LOOKUP, SotuQa.TOPICS)).workers(1).build())) {
            expected = SotuQa.byHand(runtime, questions, 16);
        }
        await().atMost(WAIT).until(() -> pipeline.results.countPresent(ids) == ids.size()
                && ids.stream().allMatch(id -> !pipeline.finalStatuses(id).isEmpty()));

        int branched = 0;
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            SotuQa.Answer want = expected.get(i);
            InferenceResponse got = response(id);
            assertThat(got.modelName()).isEqualTo(SotuQa.GRAPH);
            assertThat(got.modelVersion()).isEqualTo("1");
            assertThat(got.id()).isEqualTo(id);
            float[] scores = got.output("scores").floats();
            long[] indices = got.output("indices").longs();
            assertThat(got.output("indices").shape()).containsExactly(1, 5);
            for (int k = 0; k < 5; k++) {
                assertThat((double) scores[k]).as("%s score %d", id, k).isCloseTo(want.scores()[k],
                        org.assertj.core.data.Offset.offset(1e-4));
                if (indices[k] != want.indices()[k]) {
                    // Batched and single calls differ in the last float bits: only a tie may swap two texts.
                    assertThat(Math.abs(scores[k] - want.scores()[Math.min(4, k + 1)]) < 1e-4
                            || Math.abs(scores[k] - want.scores()[Math.max(0, k - 1)]) < 1e-4)
                            .as("%s index %d: %d vs %d by hand", id, k, indices[k], want.indices()[k]).isTrue();
                }
            }
            assertThat(got.output("indices").parameters()).containsEntry("step", "lookup");
            if (Math.abs(want.best() - SotuQa.THRESHOLD) < 1e-4) {
                continue; // on the threshold: either branch is right
            }
            if (want.topic() == null) {
                assertThat(got.output("topic")).as("%s: topic branch skipped", id).isNull();
                assertThat(got.parameters()).containsEntry("steps_skipped", "topic")
                        .containsEntry("steps_run", "embed,lookup");
            } else {
                branched++;
                assertThat(got.output("topic").longs()).as("%s topic", id).containsExactly(want.topic());
                assertThat((double) got.output("topic_score").floats()[0]).isCloseTo(want.topicScore(),
                        org.assertj.core.data.Offset.offset(1e-4));
                assertThat(got.output("topic").parameters()).containsEntry("step", "topic");
                assertThat(got.parameters()).containsEntry("steps_run", "embed,lookup,topic")
                        .containsEntry("steps_skipped", "");
            }
            List<String> statuses = new ArrayList<>(List.of("ACCEPTED", "RUNNING embed", "RUNNING lookup"));
            if (want.topic() != null) {
                statuses.add("RUNNING topic");
            }
            statuses.add("SUCCEEDED");
            assertThat(progress(id)).as("status records of %s, in order", id).isEqualTo(statuses);
        }
        assertThat(branched).as("questions whose best match was weak took the topic branch")
                .isBetween(50, 950);
    }

    @Test
    void aPoisonousInputToStepTwoFailsOnlyItsOwnRequestNamingStepTwo() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = "two-" + i;
            ids.add(id);
            float[] b = i == 7 ? new float[] {1, 1, -5000, 3} : new float[] {i, 1, 2, 3};
            pipeline.send(id, "mlp-two", twoInputs(id, new float[][] {LABEL_0}, new float[][] {b}));
        }
        pipeline.send("two-rows", "mlp-two", twoInputs("two-rows", new float[][] {LABEL_0, LABEL_2},
                new float[][] {LABEL_1, LABEL_2}));
        ids.add("two-rows");
        pipeline.flush();
        await().atMost(WAIT).until(() -> pipeline.results.countPresent(ids) == ids.size()
                && ids.stream().allMatch(id -> !pipeline.finalStatuses(id).isEmpty())
                && pipeline.deadLetters.has("two-7"));

        StatusRecord failed = pipeline.finalStatuses("two-7").get(0);
        assertThat(failed.state()).isEqualTo(RequestState.FAILED);
        assertThat(failed.errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(failed.step()).isEqualTo("second");
        assertThat(failed.reason()).startsWith("step 'second' (model tiny-mlp:1) failed: ").contains("poison");
        byte[] error = pipeline.results.get("two-7").get(0).value();
        assertThat(OipJson.isError(error)).isTrue();
        assertThat(new String(error, StandardCharsets.UTF_8)).contains("step 'second' (model tiny-mlp:1)");
        assertThat(progress("two-7")).containsExactly("ACCEPTED", "RUNNING first", "RUNNING second",
                "FAILED second");

        ConsumerRecord<byte[], byte[]> dead = pipeline.deadLetters.get("two-7").get(0);
        assertThat(TopicCollector.header(dead, KafkaContract.HEADER_STEP)).isEqualTo("second");
        assertThat(TopicCollector.header(dead, KafkaContract.HEADER_ERROR_CODE)).isEqualTo("MODEL_ERROR");
        assertThat(TopicCollector.header(dead, KafkaContract.HEADER_ERROR_REASON)).contains("step 'second'");
        assertThat(TopicCollector.header(dead, KafkaContract.HEADER_MODEL)).isEqualTo("mlp-two");
        InferenceRequest original = OipJson.parseRequest(dead.value());
        assertThat(original.input("b").floats()).containsExactly(1, 1, -5000, 3);
        assertThat(original.input("a").floats()).containsExactly(LABEL_0);

        for (String id : ids) {
            if (!id.equals("two-7")) {
                assertThat(pipeline.finalStatuses(id)).as(id).singleElement()
                        .satisfies(s -> assertThat(s.state()).isEqualTo(RequestState.SUCCEEDED));
                assertThat(response(id).output("second_label")).as(id).isNotNull();
                assertThat(pipeline.deadLetters.has(id)).as(id).isFalse();
            }
        }
        InferenceResponse rows = response("two-rows");
        assertThat(rows.output("first_label").longs()).containsExactly(0, 2);
        assertThat(rows.output("second_label").longs()).as("one row passes: the step runs").containsExactly(1, 2);
    }

    @Test
    void aConditionThatDoesNotHoldSkipsItsBranchWithoutAnError() {
        pipeline.send("skip-1", "mlp-two", twoInputs("skip-1", new float[][] {LABEL_2}, new float[][] {LABEL_0}));
        pipeline.send("run-1", "mlp-two", twoInputs("run-1", new float[][] {LABEL_1}, new float[][] {LABEL_0}));
        pipeline.flush();
        await().atMost(WAIT).until(() -> pipeline.results.countPresent(List.of("skip-1", "run-1")) == 2
                && !pipeline.finalStatuses("skip-1").isEmpty() && !pipeline.finalStatuses("run-1").isEmpty());

        InferenceResponse skipped = response("skip-1");
        assertThat(skipped.output("first_label").longs()).containsExactly(2);
        assertThat(skipped.output("second_label")).as("its branch did not run").isNull();
        assertThat(skipped.parameters()).containsEntry("steps_run", "first").containsEntry("steps_skipped", "second");
        assertThat(progress("skip-1")).containsExactly("ACCEPTED", "RUNNING first", "SUCCEEDED");
        InferenceResponse ran = response("run-1");
        assertThat(ran.output("second_label").longs()).containsExactly(0);
        assertThat(ran.output("second_label").parameters()).containsEntry("step", "second");
        assertThat(ran.parameters()).containsEntry("steps_run", "first,second").containsEntry("steps_skipped", "");
    }

    @Test
    void independentBranchesJoinBeforeTheOutputs() {
        List<String> ids = List.of("fan-1", "fan-2", "fan-3");
        pipeline.send("fan-1", "mlp-fan", twoInputs("fan-1", new float[][] {LABEL_0}, new float[][] {LABEL_1}));
        pipeline.send("fan-2", "mlp-fan", twoInputs("fan-2", new float[][] {LABEL_2}, new float[][] {LABEL_0}));
        pipeline.send("fan-3", "mlp-fan", twoInputs("fan-3", new float[][] {LABEL_1},
                new float[][] {{0, 0, -1000, 0}}));
        pipeline.flush();
        await().atMost(WAIT).until(() -> pipeline.results.countPresent(ids) == 3
                && ids.stream().allMatch(id -> !pipeline.finalStatuses(id).isEmpty()));

        assertThat(response("fan-1").output("left").longs()).containsExactly(0);
        assertThat(response("fan-1").output("right").longs()).containsExactly(1);
        assertThat(response("fan-2").output("left").longs()).containsExactly(2);
        assertThat(response("fan-2").output("right").longs()).containsExactly(0);
        assertThat(pipeline.finalStatuses("fan-1").get(0).state()).isEqualTo(RequestState.SUCCEEDED);
        // Progress of both branches comes once each; the final state comes last.
        assertThat(progress("fan-1")).hasSize(4).startsWith("ACCEPTED").endsWith("SUCCEEDED")
                .contains("RUNNING left", "RUNNING right");
        StatusRecord failed = pipeline.finalStatuses("fan-3").get(0);
        assertThat(failed.state()).as("a failed branch fails the joined request").isEqualTo(RequestState.FAILED);
        assertThat(failed.step()).isEqualTo("right");
    }

    @Test
    void oneStepRequestsKeepTheirTwoStatusRecordsBesideGraphs() {
        pipeline.send("plain-1", "tiny-mlp", features("plain-1", 1, 2, 3, 4));
        pipeline.flush();
        await().atMost(WAIT).until(() -> !pipeline.finalStatuses("plain-1").isEmpty()
                && pipeline.results.has("plain-1"));
        assertThat(progress("plain-1")).containsExactly("ACCEPTED", "SUCCEEDED");
        assertThat(response("plain-1").output("label").longs()).containsExactly(0);
    }

    @Test
    void retrievedPassagesPromptTheGeneratorWhichAnswersAsTheModelAloneWould() throws Exception {
        Path models = Path.of(System.getProperty("streaminfer.models.dir"));
        List<String> texts = RealTexts.load(models).stream().filter(t -> t.length() <= 200).toList();
        List<String> questions = texts.subList(0, 24);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            String id = "rag-" + i;
            ids.add(id);
            pipeline.send(id, RAG, new String(OipJson.writeRequest(new InferenceRequest(id,
                    List.of(Tensor.ofStrings("question", questions.get(i))))), StandardCharsets.UTF_8));
            // Plain generations of the same model between them: the graph's rows decode in the same engine.
            String plain = "rag-plain-" + i;
            ids.add(plain);
            pipeline.send(plain, GENERATOR, "{\"id\":\"" + plain + "\",\"inputs\":[{\"name\":\"text_input\","
                    + "\"datatype\":\"BYTES\",\"shape\":[1],\"data\":" + OipJson.MAPPER.valueToTree(
                            List.of(texts.get(100 + i))) + "}],\"parameters\":{\"max_tokens\":24}}");
        }
        pipeline.flush();
        await().atMost(WAIT).until(() -> ids.stream().allMatch(id -> !pipeline.finalStatuses(id).isEmpty()));

        List<String> references = Files.readAllLines(repository.resolve(SotuQa.LOOKUP).resolve("1")
                .resolve("references.txt"), StandardCharsets.UTF_8);
        ModelVersion generator = ModelRepository.open(repository).resolve(GENERATOR, null);
        List<String> flips = new ArrayList<>();
        try (GenerativeReplica replica = GenerativeReplica.load(generator, null);
                RequestPreparer preparer = Preparers.load(generator)) {
            AloneDecoder alone = new AloneDecoder(replica.decoder(), replica.tokens());
            for (int i = 0; i < questions.size(); i++) {
                String id = "rag-" + i;
                assertThat(pipeline.finalStatuses(id).get(0).state()).as("%s: %s", id, pipeline.finalStatuses(id))
                        .isEqualTo(RequestState.SUCCEEDED);
                assertThat(progress(id)).as("status records of %s", id).containsExactly("ACCEPTED", "RUNNING embed",
                        "RUNNING lookup", "RUNNING answer", "SUCCEEDED");
                InferenceResponse got = response(id);
                long[] indices = got.output("indices").longs();
                assertThat(indices).hasSize(5);
                String answer = got.output("answer").strings()[0];
                assertThat(got.output("answer").parameters()).containsEntry("step", "answer");

                // The prompt as graph.yaml says: the five passages, one per line, then the question.
                StringBuilder prompt = new StringBuilder();
                for (long k : indices) {
                    prompt.append(references.get((int) k)).append('\n');
                }
                prompt.append(questions.get(i));
                int[] tokens = ((GenerationPrompt) preparer.prepare(new InferenceRequest(id, Map.of(),
                        List.of(Tensor.ofStrings(GenerationOptions.TEXT_INPUT, prompt.toString())), null))
                        .payload()).tokens();
                AloneDecoder.Greedy reference = alone.decode(tokens, RAG_MAX_TOKENS);
                int at = firstTokenNotIn(answer, reference.tokens(), replica.tokens());
                if (at >= 0) {
                    // Only a near-tie that the batch's float order can flip may make the answer differ.
                    assertThat(reference.gaps()[at]).as("%s: answer %s differs from the model alone at token %d",
                            id, answer, at).isLessThan(1e-3f);
                    flips.add(id + "@" + at);
                } else {
                    assertThat(answer).as(id).isNotEmpty();
                }
            }
        }
        for (int i = 0; i < questions.size(); i++) {
            String plain = "rag-plain-" + i;
            assertThat(pipeline.finalStatuses(plain).get(0).state()).as(plain).isEqualTo(RequestState.SUCCEEDED);
        }
        LOG.info("sotu-rag answers equal to the model alone: {} of {}; near-tie flips: {}; e.g. {} -> {}",
                questions.size() - flips.size(), questions.size(), flips, questions.get(0),
                response("rag-0").output("answer").strings()[0]);
        assertThat(flips).as("answers that differ from the model alone (near-ties)").hasSizeLessThan(4);
    }

    /**
     * The first of the reference's tokens whose text does not continue {@code answer} (the end of sequence has
     * none); -1 when the reference's text is the answer.
     */
    static int firstTokenNotIn(String answer, int[] reference, TokenText text) {
        byte[] want = answer.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        int k = 0;
        for (; k < reference.length && !text.endsSequence(reference[k]); k++) {
            seen.writeBytes(text.bytes(reference[k]));
            byte[] sofar = seen.toByteArray();
            int n = Math.min(sofar.length, want.length);
            // A cut at max_tokens may hold back an unfinished character's bytes (at most 3) from the answer.
            if (!Arrays.equals(sofar, 0, n, want, 0, n) || sofar.length > want.length + 3) {
                return k;
            }
        }
        // The reference ended (end of sequence or max_tokens): the answer must not say more.
        return seen.size() >= want.length ? -1 : Math.min(k, reference.length - 1);
    }
}
