package io.streaminfer.job.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deploy/bin/infer's entry point on the real exported models: output JSON and exit codes. */
class InferCommandIT {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return InferCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String models() {
        return System.getProperty("streaminfer.models.dir");
    }

    @Test
    void textModelPrintsAnOipResponse() {
        int code = run("--models-dir", models(), "--model", "all-minilm-l6-v2", "--id", "x1",
                "--text", "A man is eating food.", "--text", "A monkey is playing drums.");
        assertThat(code).as(err.toString()).isZero();
        InferenceResponse r = OipJson.parseResponse(out.toByteArray());
        assertThat(r.id()).isEqualTo("x1");
        assertThat(r.output("embedding").shape()).containsExactly(2, 384);
    }

    @Test
    void tensorModelReadsAnOipRequestFile(@TempDir Path dir) throws Exception {
        Path body = dir.resolve("req.json");
        Files.writeString(body, "{\"id\":\"t1\",\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\","
                + "\"shape\":[2,4],\"data\":[[1,2,3,4],[0,0,0,0]]}]}");
        assertThat(run("--models-dir", models(), "--model", "tiny-mlp", "--request", body.toString())).isZero();
        InferenceResponse r = OipJson.parseResponse(out.toByteArray());
        assertThat(r.id()).isEqualTo("t1");
        assertThat(r.output("label").longs()).containsExactly(0, 0);
    }

    @Test
    void exitCodesSayWhatWentWrong(@TempDir Path dir) throws Exception {
        assertThat(run("--models-dir", models(), "--model", "no-such-model", "--text", "hi")).isEqualTo(4);
        assertThat(err.toString()).contains("unknown model 'no-such-model'");
        assertThat(OipJson.isError(out.toByteArray())).isTrue();

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,4],"
                + "\"data\":[1,2,3]}]}");
        err.reset();
        assertThat(run("--models-dir", models(), "--model", "tiny-mlp", "--request", bad.toString())).isEqualTo(3);
        assertThat(err.toString()).contains("shape says 4 elements but data holds 3");

        Path poison = dir.resolve("poison.json");
        Files.writeString(poison, "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,4],"
                + "\"data\":[1,2,-5000,3]}]}");
        assertThat(run("--models-dir", models(), "--model", "tiny-mlp", "--request", poison.toString())).isEqualTo(5);

        assertThat(run("--models-dir", models(), "--model", "tiny-mlp")).isEqualTo(2);
        assertThat(run("--models-dir", dir.resolve("missing").toString(), "--model", "x", "--text", "y"))
                .isEqualTo(1);
    }

    @Test
    void checkPassesTheShippedRepositoryAndListsItsGraphs() {
        assertThat(run("--models-dir", models(), "--check")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("no problem", "sotu-qa (graph) versions [1]",
                "all-minilm-l6-v2 (text-embedding) versions [1]");
    }

    @Test
    void checkPrintsEveryProblemAtOnceAndFails(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("g").resolve("1"));
        Files.writeString(dir.resolve("g").resolve("model.yaml"), String.join("\n", "kind: graph",
                "inputs: [{name: q, datatype: BYTES, shape: [-1]}]",
                "outputs: [{name: y, datatype: FP32, shape: [-1]}]", ""));
        Files.writeString(dir.resolve("g").resolve("1").resolve("graph.yaml"), String.join("\n", "steps:",
                "  - {name: a, model: nope, inputs: {text: q}}",
                "outputs: {y: a.y, z: a.z}", ""));
        Files.createDirectories(dir.resolve("m"));
        Files.writeString(dir.resolve("m").resolve("model.yaml"), String.join("\n", "kind: tensor",
                "inputs: [{name: x, datatype: FP32, shape: [-1]}]",
                "outputs: [{name: y, datatype: FP32, shape: [-1]}]", ""));

        assertThat(run("--models-dir", dir.toString(), "--check")).isEqualTo(1);
        assertThat(out.toString()).contains("3 problem(s)", "m: no version folder",
                "graph g version 1: step 'a': unknown model 'nope'",
                "graph g version 1: output 'z' is not declared in the graph's model.yaml");
        assertThat(err.toString()).contains("has problems");
    }

    @Test
    void aGraphIsNotRunHere() {
        assertThat(run("--models-dir", models(), "--model", "sotu-qa", "--text", "hi")).isEqualTo(2);
        assertThat(err.toString()).contains("'sotu-qa' is a graph of models");
    }
}
