package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task manager lost mid-generation under two clients that stay connected to the bridge: a job's event stream and a
 * streamed OpenAI completion. The job restores and goes on after the tokens already published, so both clients'
 * texts continue where they were, with no token missing or repeated, and equal the final results.
 */
class GenerationFailoverIT {
    private static final String MODEL = GenerationBridgeIT.MODEL;
    private static final Duration WAIT = Duration.ofSeconds(180);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(BridgeFailoverIT.miniClusterConfig())
            .build());

    @Test
    void streamsGoOnThroughATaskManagerLossWithNoTokenMissingOrRepeated(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                BridgeStack stack = new BridgeStack(kafka, "genfail").startJob(c -> c.models.serve = List.of(MODEL));
                Bridge bridge = stack.startBridge(stack.bridgeYaml("bridge-gf", "callbacks:\n  enabled: false\n"))) {
            await().atMost(WAIT).until(bridge::isReady);
            Http http = new Http(bridge.port(), null);
            String jobId = GenerationBridgeIT.submit(http, GenerationBridgeIT.prompt("The state of the union is",
                    GenerationBridgeIT.LONG));
            try (SseStream events = SseStream.get(bridge.port(), "/v1/jobs/" + jobId + "/events", null, Map.of());
                    SseStream sync = SseStream.post(bridge.port(), "/v1/completions", null, "{\"model\":\"" + MODEL
                            + "\",\"prompt\":\"Our economy\",\"stream\":true," + GenerationBridgeIT.LONG + "}")) {
                List<TokenRecord> before = GenerationBridgeIT.tokens(events, 3);
                StringBuilder syncText = new StringBuilder();
                for (int i = 0; i < 3; i++) {
                    syncText.append(OipJson.MAPPER.readTree(sync.next().data()).get("choices").get(0).get("text")
                            .asText());
                }
                assertThat(before.get(2).last()).as("the task manager is lost mid-generation").isFalse();
                cluster.terminateTaskManager(0).get();
                cluster.startTaskManager();

                GenerationBridgeIT.Rest rest = GenerationBridgeIT.rest(events);
                List<TokenRecord> all = new ArrayList<>(before);
                all.addAll(rest.tokens());
                GenerationBridgeIT.assertWhole(all, rest.result());

                String syncJob = sync.header("X-Job-Id");
                for (SseStream.Event e; (e = sync.next()) != null && !e.data().equals("[DONE]"); ) {
                    JsonNode chunk = OipJson.MAPPER.readTree(e.data());
                    assertThat(chunk.has("error")).as(e.data()).isFalse();
                    syncText.append(chunk.get("choices").get(0).get("text").asText());
                }
                await().atMost(WAIT).until(() -> http.get("/v1/jobs/" + syncJob).json().has("result"));
                assertThat(syncText.toString()).isEqualTo(GenerationBridgeIT.text(
                        http.get("/v1/jobs/" + syncJob).json().get("result")));
            }
            assertThat(cluster.getExecutionGraph(stack.job.getJobID()).get()
                    .getStatusTimestamp(JobStatus.RESTARTING)).as("the job really failed over").isPositive();
        }
    }
}
