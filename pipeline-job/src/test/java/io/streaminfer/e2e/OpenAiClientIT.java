package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.contract.OipJson;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.Embeddings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The official OpenAI JavaScript client ({@code openai} from npm, unmodified, default settings) against the whole
 * stack: a Kafka broker, the pipeline job on a MiniCluster with the generative and the embedding model, a bridge with
 * auth on. The client is installed in the test's setup ({@code npm ci} from the committed package.json and
 * package-lock.json into target/openai-client), so a clean checkout needs only Node.js and npm, and runs {@code
 * check.mjs}, whose one JSON line this test asserts on.
 */
class OpenAiClientIT {
    private static final String MODEL = GenerationBridgeIT.MODEL;
    private static final String EMBEDDER = GenerationBridgeIT.EMBEDDER;
    private static final String TOKEN = "openai-client-token-0123456789";
    private static final String TEXT = "A man is eating a piece of bread.";
    private static final Path CLIENT = Path.of("target", "openai-client");

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static JsonNode out;

    @BeforeAll
    static void start() throws Exception {
        install();
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "openai-e2e").startJob(c -> c.models.serve = List.of(MODEL, EMBEDDER));
        bridge = stack.startBridge(stack.bridgeYaml("openai-a", "auth:\n  tokens: [" + TOKEN + "]\n"
                + "callbacks:\n  enabled: false\n"));
        await().atMost(Duration.ofMinutes(2)).until(bridge::isReady);
        String stdout = run(Map.of("BASE_URL", "http://127.0.0.1:" + bridge.port() + "/v1", "API_KEY", TOKEN,
                "MODEL", MODEL, "EMBEDDER", EMBEDDER, "TEXT", TEXT), "node", "check.mjs");
        LoggerFactory.getLogger(OpenAiClientIT.class).info("check.mjs printed: {}", stdout);
        out = OipJson.MAPPER.readTree(stdout.lines().filter(l -> l.startsWith("{")).reduce((x, y) -> y)
                .orElseThrow(() -> new AssertionError("check.mjs printed no JSON:\n" + stdout)));
    }

    /** The client's folder from the committed files, and {@code npm ci} there. */
    private static void install() throws IOException, InterruptedException {
        Files.createDirectories(CLIENT);
        for (String f : List.of("package.json", "package-lock.json", "check.mjs")) {
            Files.copy(Path.of("src", "test", "resources", "openai-client", f), CLIENT.resolve(f),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        run(Map.of(), "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
    }

    /** Runs a command in the client's folder; its stdout, or an AssertionError with everything it printed. */
    private static String run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(CLIENT.toFile()).redirectErrorStream(false);
        pb.environment().putAll(env);
        Path stderr = Files.createTempFile("openai-client", ".err");
        pb.redirectError(stderr.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError("'" + command[0] + "' could not be started: this test needs Node.js 20+ and npm "
                    + "on the PATH (the official OpenAI client is an npm package): " + e.getMessage(), e);
        }
        byte[] stdout = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 5 minutes");
        }
        String out = new String(stdout, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + out + "\n"
                    + Files.readString(stderr));
        }
        return out;
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {bridge, stack, kafka}) {
            if (c != null) {
                c.close();
            }
        }
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
