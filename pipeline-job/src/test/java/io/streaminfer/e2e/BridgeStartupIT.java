package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.bridge.config.BridgeConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bridge started before its broker (issue 15): it serves health at once and is not ready while Kafka does not
 * answer, then while its topics do not exist — saying which each time — and becomes ready in the same process,
 * without a restart, once both are there, reporting that no job consumes yet (requests wait in Kafka for it, issue
 * 29); a sync call then gets its result from the job started after it. Before, the bridge exited at start-up when
 * the results topic's metadata took over a second.
 */
class BridgeStartupIT {
    private static final String PREFIX = "startup";
    private static final Duration WAIT = Duration.ofMinutes(2);

    @Test
    void bridgeStartedBeforeTheBrokerBecomesReadyOnceTheBrokerIsUp() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.stopBroker(); // the bootstrap port refuses connections, as before a broker has started
            String yaml = BridgeStack.bridgeYaml(kafka.bootstrapServers(), PREFIX, "early",
                    "callbacks:\n  enabled: false\n");
            try (Bridge bridge = Bridge.start(BridgeConfig.parse(yaml, Map.of()))) {
                Http http = new Http(bridge.port(), null);
                assertThat(http.get("/v2/health/live").status()).isEqualTo(200);

                await().atMost(WAIT).untilAsserted(() -> assertThat(bridge.notReadyReason())
                        .contains("waiting for Kafka at " + kafka.bootstrapServers()));
                Http.Answer ready = http.get("/v2/health/ready");
                assertThat(ready.status()).isEqualTo(503);
                assertThat(ready.json().path("reason").asText()).contains("waiting for Kafka");
                assertThat(http.post("/v2/models/all-minilm-l6-v2/infer", Http.text("x", "A man is eating food."))
                        .status()).as("requests are refused while not ready").isEqualTo(503);

                kafka.startBroker();
                await().atMost(WAIT).untilAsserted(() -> assertThat(bridge.notReadyReason())
                        .contains("do not exist").contains(PREFIX + ".results"));

                try (BridgeStack stack = new BridgeStack(kafka, PREFIX)) { // creates the topics
                    // Ready once Kafka and its readers are: requests wait in Kafka for the job, which is reported.
                    await().atMost(WAIT).until(bridge::isReady);
                    assertThat(http.get("/v2/health/ready").json().path("pipeline_job").asText())
                            .contains("pipeline job").contains("committed no offsets");
                    stack.startJob();
                    await().atMost(WAIT).until(bridge::isReady);
                    assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);

                    Http.Answer answer = http.post("/v2/models/all-minilm-l6-v2/infer",
                            Http.text("after-start", "A man is eating food."));
                    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
                    JsonNode out = answer.json().get("outputs").get(0);
                    assertThat(answer.json().get("id").asText()).isEqualTo("after-start");
                    assertThat(out.get("shape").get(1).asInt()).isEqualTo(384);
                }
            }
        }
    }
}
