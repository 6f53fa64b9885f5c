package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.Embeddings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The official OpenAI JavaScript client ({@code openai} from npm, unmodified, default settings) against the whole
 * stack: a Kafka broker, the pipeline job on a MiniCluster with the generative and the embedding model, a bridge with
 * auth on. The client is installed in the test's setup ({@link NodeClient}) and runs {@code check.mjs}, whose one
 * JSON line this test asserts on.
 */
class OpenAiClientIT {
    private static final String MODEL = GenerationBridgeIT.MODEL;
    private static final String EMBEDDER = GenerationBridgeIT.EMBEDDER;
    private static final String TOKEN = "openai-client-token-0123456789";
    private static final String TEXT = "A man is eating a piece of bread.";

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static JsonNode out;

    @BeforeAll
    static void start() throws Exception {
        NodeClient.install();
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "openai-e2e").startJob(c -> c.models.serve = List.of(MODEL, EMBEDDER));
        bridge = stack.startBridge(stack.bridgeYaml("openai-a", "auth:\n  tokens: [" + TOKEN + "]\n"
                + "callbacks:\n  enabled: false\n"));
        await().atMost(Duration.ofMinutes(2)).until(bridge::isReady);
        out = NodeClient.runScript("check.mjs", Map.of("BASE_URL", "http://127.0.0.1:" + bridge.port() + "/v1",
                "API_KEY", TOKEN, "MODEL", MODEL, "EMBEDDER", EMBEDDER, "TEXT", TEXT));
        LoggerFactory.getLogger(OpenAiClientIT.class).info("check.mjs printed: {}", out);
    }

    @AfterAll
    static void stop() throws Exception {
        BridgeStack.closeAll(bridge, stack, kafka);
    }

    @Test
    void theModelListHasEveryServedModel() {
        List<String> ids = new ArrayList<>();
        out.get("models").forEach(m -> {
            ids.add(m.get("id").asText());
            assertThat(m.get("object").asText()).isEqualTo("model");
            assertThat(m.get("owned_by").asText()).isEqualTo("streaminfer");
        });
        assertThat(ids).contains(MODEL, EMBEDDER);
    }

    @Test
    void theClientsDefaultBase64EmbeddingIsTheOipResultForTheSameText() {
        Http http = new Http(bridge.port(), TOKEN);
        Http.Answer oip = http.post("/v2/models/" + EMBEDDER + "/infer", Http.text(null, TEXT));
        assertThat(oip.status()).as(oip.body()).isEqualTo(200);
        float[] expected = Embeddings.floats(oip.json().get("outputs").get(0).get("data"));
        float[] decoded = Embeddings.floats(out.get("embedding").get("vector"));
        assertThat(decoded).hasSize(384);
        // float32 both ways: the same model on the same text, up to the float order of another batch shape.
        assertThat(decoded).containsExactly(expected, offset(1e-6f));
        assertThat(out.get("embedding").get("usage").get("prompt_tokens").asInt()).isPositive();
        JsonNode floats = out.get("floatEmbeddings");
        assertThat(floats).hasSize(2);
        assertThat(floats.get(0).get("index").asInt()).isZero();
        assertThat(Embeddings.floats(floats.get(0).get("vector"))).containsExactly(expected,
                offset(1e-6f));
    }

    @Test
    void completionsStreamedJoinToTheUnstreamedAnswerAtTemperatureZero() {
        JsonNode once = out.get("completion");
        JsonNode stream = out.get("completionStream");
        assertThat(once.get("object").asText()).isEqualTo("text_completion");
        assertThat(once.get("model").asText()).isEqualTo(MODEL);
        assertThat(once.get("text").asText()).isNotEmpty();
        assertThat(stream.get("text").asText()).isEqualTo(once.get("text").asText());
        assertThat(stream.get("finish").asText()).isIn("stop", "length").isEqualTo(once.get("finish").asText());
        assertThat(stream.get("ids")).as("one id on every chunk").hasSize(1);
        assertThat(stream.get("objects").get(0).asText()).isEqualTo("text_completion");
        assertThat(stream.get("chunks").asInt()).isGreaterThan(2);
        assertThat(stream.get("usage")).as("stream_options.include_usage").isEqualTo(once.get("usage"));
        assertThat(once.get("usage").get("completion_tokens").asInt()).isBetween(1, 24);
        assertThat(once.get("usage").get("total_tokens").asInt()).isEqualTo(
                once.get("usage").get("prompt_tokens").asInt() + once.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void chatStreamedJoinsToTheUnstreamedAnswerAtTemperatureZero() {
        JsonNode once = out.get("chat");
        JsonNode stream = out.get("chatStream");
        assertThat(once.get("object").asText()).isEqualTo("chat.completion");
        assertThat(once.get("role").asText()).isEqualTo("assistant");
        assertThat(once.get("text").asText()).isNotEmpty();
        assertThat(stream.get("text").asText()).isEqualTo(once.get("text").asText());
        assertThat(stream.get("role").asText()).isEqualTo("assistant");
        assertThat(stream.get("finish").asText()).isEqualTo(once.get("finish").asText());
        assertThat(stream.get("objects").get(0).asText()).isEqualTo("chat.completion.chunk");
        assertThat(stream.get("ids")).hasSize(1);
        assertThat(stream.get("usage").isNull()).as("no usage chunk unless asked for").isTrue();
    }

    @Test
    void errorsAreOpenAisWithTheirStatus() {
        JsonNode e = out.get("errors");
        assertThat(e.get("unknownModel").get("status").asInt()).isEqualTo(404);
        assertThat(e.get("unknownModel").get("class").asText()).isEqualTo("NotFoundError");
        assertThat(e.get("unknownModel").get("code").asText()).isEqualTo("model_not_found");
        assertThat(e.get("badParameter").get("status").asInt()).isEqualTo(400);
        assertThat(e.get("badParameter").get("class").asText()).isEqualTo("BadRequestError");
        assertThat(e.get("badParameter").get("message").asText()).contains("temperature");
        assertThat(e.get("badParameter").get("param").asText()).isEqualTo("temperature");
        assertThat(e.get("unsupported").get("status").asInt()).isEqualTo(400);
        assertThat(e.get("unsupported").get("param").asText()).isEqualTo("n");
        assertThat(e.get("notGenerative").get("status").asInt()).isEqualTo(400);
        assertThat(e.get("wrongKey").get("status").asInt()).isEqualTo(401);
        assertThat(e.get("wrongKey").get("class").asText()).isEqualTo("AuthenticationError");
    }
}
