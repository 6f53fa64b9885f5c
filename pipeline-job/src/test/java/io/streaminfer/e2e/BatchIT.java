package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.contract.OipJson;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.tools.batch.BatchCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * OpenAI's Batch API on the whole stack, spoken by the official OpenAI JavaScript client ({@link NodeClient}, default
 * settings) against a bridge with auth on: {@code batch.mjs} uploads files, creates, polls, cancels and lists batches
 * and downloads their output and error files; this test asserts on the one JSON object it prints.
 */
class BatchIT {
    private static final String EMBEDDER = GenerationBridgeIT.EMBEDDER;
    private static final String TOKEN = "batch-client-token-0123456789";
    private static final int CANCEL_LINES = 2500;
    private static final int MAX_LINES = 3000;

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static JsonNode out;

    @BeforeAll
    static void start() throws Exception {
        NodeClient.install();
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "batch-it").startJob(c -> c.models.serve = List.of(EMBEDDER));
        bridge = stack.startBridge(stack.bridgeYaml("batch-a", "auth:\n  tokens: [" + TOKEN + "]\n"
                + "callbacks:\n  enabled: false\nbatches:\n  max-file-lines: " + MAX_LINES + "\n"));
        await().atMost(Duration.ofMinutes(2)).until(bridge::isReady);
        out = NodeClient.runScript("batch.mjs", Map.of("BASE_URL", "http://127.0.0.1:" + bridge.port() + "/v1",
                "API_KEY", TOKEN, "EMBEDDER", EMBEDDER, "CANCEL_LINES", Integer.toString(CANCEL_LINES),
                "MAX_LINES", Integer.toString(MAX_LINES)));
        LoggerFactory.getLogger(BatchIT.class).info("batch.mjs printed: {}", out);
    }

    @AfterAll
    static void stop() throws Exception {
        BridgeStack.closeAll(bridge, stack, kafka);
    }

    @Test
    void anUploadedFileIsOpenAisFileObject() {
        JsonNode f = out.get("mixed").get("file");
        assertThat(f.get("id").asText()).startsWith("file-").isEqualTo(f.get("retrieved").asText());
        assertThat(f.get("object").asText()).isEqualTo("file");
        assertThat(f.get("purpose").asText()).isEqualTo("batch");
        assertThat(f.get("filename").asText()).isEqualTo("mixed.jsonl");
        assertThat(f.get("bytes").asLong()).isEqualTo(f.get("expectedBytes").asLong());
        assertThat(f.get("created_at").asLong()).isPositive();
        JsonNode deleted = out.get("deleteFile");
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        assertThat(deleted.get("afterwards").get("status").asInt()).isEqualTo(404);
    }

    @Test
    void anEmbeddingsBatchWithBadLinesCompletesWithItsOutputAndErrorFilesJoinedByCustomId() {
        JsonNode m = out.get("mixed");
        assertThat(m.get("created").get("status").asText()).isEqualTo("validating");
        assertThat(m.get("created").get("object").asText()).isEqualTo("batch");
        assertThat(m.get("created").get("metadata").get("test").asText()).isEqualTo("batch-it");
        assertThat(m.get("created").get("expires_at").asLong() - m.get("created").get("created_at").asLong())
                .isEqualTo(86_400);
        JsonNode done = m.get("done");
        assertThat(done.get("status").asText()).isEqualTo("completed");
        assertThat(done.get("request_counts").get("total").asInt()).isEqualTo(42);
        assertThat(done.get("request_counts").get("completed").asInt()).isEqualTo(40);
        assertThat(done.get("request_counts").get("failed").asInt()).isEqualTo(2);
        assertThat(done.get("completed_at").asLong()).isGreaterThanOrEqualTo(done.get("in_progress_at").asLong());
        assertThat(done.get("errors").isNull()).isTrue();

        JsonNode output = m.get("output");
        assertThat(output.get("count").asInt()).isEqualTo(40);
        assertThat(output.get("repeated").asInt()).isZero();
        for (int i = 0; i < 40; i++) {
            JsonNode line = output.get("lines").get("ok-" + i);
            assertThat(line).as("ok-" + i).isNotNull();
            assertThat(line.get("status_code").asInt()).isEqualTo(200);
            assertThat(line.get("dims").asInt()).isEqualTo(384);
            assertThat(line.get("id").asText()).startsWith("batch_req_");
            assertThat(line.get("error").isNull()).isTrue();
        }
        JsonNode errors = m.get("errors");
        assertThat(errors.get("count").asInt()).isEqualTo(2);
        JsonNode unknown = errors.get("lines").get("unknown-model");
        assertThat(unknown.get("status_code").asInt()).isEqualTo(404);
        assertThat(unknown.get("body_error").asText()).contains("no-such-model");
        JsonNode badInput = errors.get("lines").get("bad-input");
        assertThat(badInput.get("status_code").asInt()).isEqualTo(400);
        assertThat(badInput.get("body_error").asText()).contains("input");
    }

    @Test
    void aBatchWhoseInputIsMalformedFailsValidationNamingTheLines() {
        JsonNode v = out.get("invalid");
        assertThat(v.get("status").asText()).isEqualTo("failed");
        assertThat(v.get("failed_at").asLong()).isPositive();
        assertThat(v.get("output_file_id").isNull()).isTrue();
        JsonNode errors = v.get("errors").get("data");
        assertThat(errors).hasSize(2);
        assertThat(errors.get(0).get("code").asText()).isEqualTo("invalid_json_line");
        assertThat(errors.get(0).get("line").asInt()).isEqualTo(2);
        assertThat(errors.get(1).get("code").asText()).isEqualTo("duplicate_custom_id");
        assertThat(errors.get(1).get("line").asInt()).isEqualTo(3);
        assertThat(errors.get(1).get("message").asText()).contains("line 1");
    }

    @Test
    void aCancelledBatchKeepsWhatFinishedAndGivesUpTheRestOnce() {
        JsonNode c = out.get("cancel");
        assertThat(c.get("beforeCancel").get("status").asText()).isEqualTo("in_progress");
        assertThat(c.get("cancelling").get("status").asText()).isEqualTo("cancelling");
        assertThat(c.get("cancelling").get("cancelling_at").asLong()).isPositive();
        JsonNode done = c.get("done");
        assertThat(done.get("status").asText()).isEqualTo("cancelled");
        assertThat(done.get("cancelled_at").asLong()).isGreaterThanOrEqualTo(done.get("cancelling_at").asLong());
        int ok = c.get("output").get("count").asInt();
        int given = c.get("errors").get("count").asInt();
        assertThat(ok).as("lines that finished before the cancel").isPositive();
        assertThat(given).as("lines never run").isPositive();
        assertThat(ok + given).isEqualTo(CANCEL_LINES);
        assertThat(c.get("distinct").asInt()).as("every line exactly once").isEqualTo(CANCEL_LINES);
        assertThat(c.get("output").get("repeated").asInt() + c.get("errors").get("repeated").asInt()).isZero();
        assertThat(c.get("output").get("ok").asInt()).isEqualTo(ok);
        assertThat(c.get("errors").get("codes").get("batch_cancelled").asInt()).isEqualTo(given);
        assertThat(done.get("request_counts").get("completed").asInt()).isEqualTo(ok);
        assertThat(done.get("request_counts").get("failed").asInt()).isEqualTo(given);
        assertThat(c.get("cancelAgain").asText()).isEqualTo("cancelled");
    }

    @Test
    void theListIsNewestFirstAndTheClientWalksItsPages() {
        JsonNode l = out.get("list");
        List<String> created = new ArrayList<>();
        l.get("created").forEach(n -> created.add(0, n.asText()));
        List<String> walked = new ArrayList<>();
        l.get("ids").forEach(n -> walked.add(n.asText()));
        assertThat(walked).isEqualTo(created);
        assertThat(l.get("pages").asInt()).isEqualTo((created.size() + 1) / 2);
        assertThat(l.get("firstPage").get("has_more").asBoolean()).isTrue();
        JsonNode raw = l.get("raw");
        assertThat(raw.get("object").asText()).isEqualTo("list");
        assertThat(raw.get("has_more").asBoolean()).isTrue();
        assertThat(raw.get("first_id").asText()).isEqualTo(created.get(0));
        assertThat(raw.get("last_id").asText()).isEqualTo(created.get(1));
    }

    @Test
    void whatTheApiRefusesIsOpenAisErrorWithItsStatus() {
        JsonNode r = out.get("refused");
        assertThat(r.get("tooManyLines").get("status").asInt()).isEqualTo(400);
        assertThat(r.get("tooManyLines").get("message").asText()).contains(Integer.toString(MAX_LINES));
        assertThat(r.get("wrongPurpose").get("status").asInt()).isEqualTo(400);
        assertThat(r.get("wrongPurpose").get("param").asText()).isEqualTo("purpose");
        assertThat(r.get("unknownBatch").get("status").asInt()).isEqualTo(404);
        assertThat(r.get("unknownFile").get("status").asInt()).isEqualTo(400);
        assertThat(r.get("unknownFile").get("param").asText()).isEqualTo("input_file_id");
        assertThat(r.get("wrongKey").get("status").asInt()).isEqualTo(401);
        assertThat(r.get("wrongKey").get("class").asText()).isEqualTo("AuthenticationError");
    }

    @Test
    void theCommandLineToolSubmitsFollowsAndDownloadsABatch(@TempDir Path dir) throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            in.append("{\"custom_id\":\"t-").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/embeddings\","
                    + "\"body\":{\"model\":\"").append(i == 7 ? "no-such-model" : EMBEDDER)
                    .append("\",\"input\":\"tool line ").append(i).append("\"}}\n");
        }
        Path file = Files.writeString(dir.resolve("lines.jsonl"), in);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = BatchCommand.run(new String[] {"submit", file.toString(), "--endpoint", "/v1/embeddings",
            "--url", "http://127.0.0.1:" + bridge.port(), "--token", TOKEN, "--wait", "--poll-ms", "200",
            "--download", dir.resolve("out").toString()}, new PrintStream(stdout, true), new PrintStream(stderr, true));
        String progress = stderr.toString(StandardCharsets.UTF_8);
        assertThat(code).as(progress).isZero();
        JsonNode b = OipJson.MAPPER.readTree(stdout.toByteArray());
        assertThat(b.get("status").asText()).isEqualTo("completed");
        assertThat(progress).contains("30/30 done, 1 failed");
        String id = b.get("id").asText();
        assertThat(Files.readAllLines(dir.resolve("out").resolve(id + "_output.jsonl"))).hasSize(29);
        assertThat(Files.readAllLines(dir.resolve("out").resolve(id + "_error.jsonl"))).singleElement()
                .asString().contains("\"custom_id\":\"t-7\"");
    }
}
