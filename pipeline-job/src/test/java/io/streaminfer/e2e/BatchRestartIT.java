package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.contract.OipJson;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.tools.batch.BatchApiClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bridge restart in the middle of a batch: the batch's progress and output are on Kafka, so the restarted replica
 * takes the batch over from its last checkpoint and it completes with every line exactly once in its output file.
 */
class BatchRestartIT {
    private static final String EMBEDDER = GenerationBridgeIT.EMBEDDER;
    private static final int LINES = 2000;

    private EmbeddedKafka kafka;
    private BridgeStack stack;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        BridgeStack.closeAll(bridge, stack, kafka);
    }

    private Bridge start(String yaml) {
        Bridge b = stack.startBridge(yaml);
        await().atMost(Duration.ofMinutes(2)).until(b::isReady);
        return b;
    }

    @Test
    void aBatchRunningWhenItsBridgeRestartsCompletesWithEveryLineOnce(@TempDir Path dir) throws Exception {
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "batch-restart").startJob(c -> c.models.serve = List.of(EMBEDDER));
        String yaml = stack.bridgeYaml("batch-r", "callbacks:\n  enabled: false\n");
        bridge = start(yaml);
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < LINES; i++) {
            in.append("{\"custom_id\":\"r-").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/embeddings\","
                    + "\"body\":{\"model\":\"").append(EMBEDDER).append("\",\"input\":\"line ").append(i)
                    .append(" of a batch that outlives its bridge\"}}\n");
        }
        Path file = Files.writeString(dir.resolve("lines.jsonl"), in);
        BatchApiClient before = client();
        String id = before.create(before.upload(file).get("id").asText(), "/v1/embeddings", "24h", null)
                .get("id").asText();
        await().atMost(Duration.ofMinutes(2)).until(() -> done(client().batch(id)) >= 50);
        long doneBefore = done(client().batch(id));
        assertThat(doneBefore).as("stopped mid-way").isLessThan(LINES);

        bridge.close(); // its feeder stops where it is; the batch's checkpoint is on Kafka
        bridge = null;
        bridge = start(yaml);
        BatchApiClient after = client();
        await().atMost(Duration.ofMinutes(5)).until(() -> after.batch(id).get("status").asText()
                .equals("completed"));
        JsonNode done = after.batch(id);
        assertThat(done.get("request_counts").get("completed").asInt()).isEqualTo(LINES);
        assertThat(done.get("request_counts").get("failed").asInt()).isZero();
        assertThat(done.get("error_file_id").isNull()).isTrue();
        Map<String, Integer> seen = new HashMap<>();
        try (InputStream content = after.content(done.get("output_file_id").asText())) {
            for (String line : new String(content.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                JsonNode n = read(line);
                assertThat(n.get("response").get("status_code").asInt()).isEqualTo(200);
                seen.merge(n.get("custom_id").asText(), 1, Integer::sum);
            }
        }
        assertThat(seen).hasSize(LINES);
        assertThat(seen.values()).as("every line exactly once").containsOnly(1);
    }

    private BatchApiClient client() {
        return new BatchApiClient(URI.create("http://127.0.0.1:" + bridge.port()), null);
    }

    private static long done(JsonNode batch) {
        JsonNode c = batch.get("request_counts");
        return c.get("completed").asLong() + c.get("failed").asLong();
    }

    private static JsonNode read(String line) {
        try {
            return OipJson.MAPPER.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
