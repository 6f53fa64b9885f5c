package io.streaminfer.e2e;

import io.streaminfer.job.testing.Embeddings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.bridge.callback.Signatures;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bridge end to end on real parts: an in-process Kafka broker, the pipeline job in a Flink MiniCluster with
 * RocksDB and the real MiniLM model through DJL, and bridge replicas over HTTP.
 */
class BridgeIT {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final String TOKEN = "test-token-0123456789abcdef";
    private static final String SECRET = "callback-secret-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final List<String> SENTENCES = List.of("A man is eating food.",
            "A man is eating a piece of bread.", "The girl is carrying a baby.", "A man is riding a horse.",
            "A woman is playing violin.", "Two men pushed carts through the woods.",
            "A man is riding a white horse on an enclosed ground.", "A monkey is playing drums.",
            "Someone in a gorilla costume is playing a set of drums.", "A cheetah is running behind its prey.");

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static Http http;
    static Map<String, float[]> expected = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "e2e").startJob();
        bridge = stack.startBridge(mainBridgeYaml("bridge-a"));
        http = new Http(bridge.port(), TOKEN);
        await().atMost(WAIT).until(bridge::isReady);
        expected.putAll(Embeddings.reference(MODEL, SENTENCES));
    }

    static String mainBridgeYaml(String replicaId) {
        return stack.bridgeYaml(replicaId, "auth:\n  tokens: [" + TOKEN + "]\n"
                + "callbacks:\n  secret: " + SECRET + "\n  allow: [127.0.0.2/32]\n  initial-backoff-ms: 50\n"
                + "  max-attempts: 3\n");
    }

    @AfterAll
    static void stop() throws Exception {
        if (bridge != null) {
            bridge.close();
        }
        if (stack != null) {
            stack.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void syncInferReturnsTheRuntimesEmbeddingsAndEchoesTheId() {
        Http.Answer a = http.post("/v2/models/" + MODEL + "/infer", Http.text("mine-1", SENTENCES.get(0),
                SENTENCES.get(1)));
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        JsonNode r = a.json();
        assertThat(r.get("id").asText()).isEqualTo("mine-1");
        assertThat(r.get("model_name").asText()).isEqualTo(MODEL);
        JsonNode out = r.get("outputs").get(0);
        assertThat(out.get("shape").get(0).asInt()).isEqualTo(2);
        assertThat(out.get("shape").get(1).asInt()).isEqualTo(384);
        float[] all = Embeddings.floats(out.get("data"));
        assertThat(Embeddings.cosine(slice(all, 0, 384), expected.get(SENTENCES.get(0)))).isGreaterThan(0.9999);
        assertThat(Embeddings.cosine(slice(all, 384, 384), expected.get(SENTENCES.get(1)))).isGreaterThan(0.9999);
        assertThat(a.raw().headers().firstValue("X-Job-Id")).isPresent();
        // The job's share of the call, so a caller can tell the model's time from the transport's.
        assertThat(a.raw().headers().firstValue("Server-Timing")).get().asString()
                .matches("queue;dur=[0-9.]+, model;dur=[0-9.]+");
    }

    @Test
    void twoHundredConcurrentCallersEachGetTheirOwnResultEvenWithTheSameId() {
        List<CompletableFuture<Http.Answer>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            // Every other caller uses the same id: correlation must not rely on it.
            String id = i % 2 == 0 ? "same-id" : "caller-" + i;
            calls.add(http.postAsync("/v2/models/" + MODEL + "/infer",
                    Http.text(id, SENTENCES.get(i % SENTENCES.size()))));
        }
        for (int i = 0; i < 200; i++) {
            Http.Answer a = calls.get(i).join();
            assertThat(a.status()).as(a.body()).isEqualTo(200);
            JsonNode r = a.json();
            assertThat(r.get("id").asText()).isEqualTo(i % 2 == 0 ? "same-id" : "caller-" + i);
            float[] embedding = Embeddings.floats(r.get("outputs").get(0).get("data"));
            assertThat(Embeddings.cosine(embedding, expected.get(SENTENCES.get(i % SENTENCES.size()))))
                    .as("caller %d got its own sentence's embedding", i).isGreaterThan(0.9999);
        }
    }

    @Test
    void asyncJobIsFetchedByPollAndBySse() throws Exception {
        Http.Answer submitted = http.post("/v1/jobs/" + MODEL, Http.text("job-1", SENTENCES.get(3)));
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
        String jobId = submitted.json().get("job_id").asText();
        assertThat(submitted.raw().headers().firstValue("Location")).contains("/v1/jobs/" + jobId);

        await().atMost(WAIT).until(() -> "SUCCEEDED".equals(http.get("/v1/jobs/" + jobId).json().path("state")
                .asText()));
        JsonNode job = http.get("/v1/jobs/" + jobId).json();
        assertThat(job.get("model").asText()).isEqualTo(MODEL);
        assertThat(job.get("result").get("id").asText()).isEqualTo("job-1");
        assertThat(Embeddings.cosine(Embeddings.floats(job.get("result").get("outputs").get(0).get("data")),
                expected.get(SENTENCES.get(3)))).isGreaterThan(0.9999);

        // SSE of a second job, opened right after submission: status events, then the result, then the end.
        String second = http.post("/v1/jobs/" + MODEL, Http.text("job-2", SENTENCES.get(4))).json()
                .get("job_id").asText();
        List<String> events = sse("/v1/jobs/" + second + "/events");
        assertThat(events).isNotEmpty();
        assertThat(events.get(events.size() - 1)).startsWith("result ");
        String lastStatus = events.get(events.size() - 2);
        assertThat(lastStatus).startsWith("status ").contains("\"state\":\"SUCCEEDED\"");
        JsonNode result = io.streaminfer.contract.OipJson.MAPPER.readTree(
                events.get(events.size() - 1).substring("result ".length()));
        assertThat(result.get("id").asText()).isEqualTo("job-2");
        assertThat(Embeddings.cosine(Embeddings.floats(result.get("outputs").get(0).get("data")), expected.get(SENTENCES.get(4))))
                .isGreaterThan(0.9999);

        // A finished job's stream gives its final state and result at once.
        List<String> again = sse("/v1/jobs/" + jobId + "/events");
        assertThat(again.get(0)).contains("\"state\":\"SUCCEEDED\"");
        assertThat(again.get(again.size() - 1)).startsWith("result ");
    }

    @Test
    void jobsSubmittedBeforeABridgeRestartAreFetchedAfterIt() {
        String yaml = stack.bridgeYaml("bridge-r", "auth:\n  tokens: [" + TOKEN + "]\n"
                + "callbacks:\n  enabled: false\n");
        List<String> jobIds = new ArrayList<>();
        Bridge first = stack.startBridge(yaml);
        try {
            await().atMost(WAIT).until(first::isReady);
            Http h = new Http(first.port(), TOKEN);
            for (int i = 0; i < 30; i++) {
                Http.Answer a = h.post("/v1/jobs/" + MODEL, Http.text("r-" + i, SENTENCES.get(i % 10)));
                assertThat(a.status()).as(a.body()).isEqualTo(202);
                jobIds.add(a.json().get("job_id").asText());
            }
        } finally {
            first.close(); // while the jobs are in flight
        }
        try (Bridge second = stack.startBridge(yaml)) {
            await().atMost(WAIT).until(second::isReady);
            Http h = new Http(second.port(), TOKEN);
            for (int i = 0; i < jobIds.size(); i++) {
                String id = jobIds.get(i);
                await().atMost(WAIT).until(() -> "SUCCEEDED".equals(h.get("/v1/jobs/" + id).json().path("state")
                        .asText()));
                JsonNode job = h.get("/v1/jobs/" + id).json();
                assertThat(job.get("result").get("id").asText()).isEqualTo("r-" + i);
            }
            // And from the other replica, which never saw these jobs submitted.
            assertThat(http.get("/v1/jobs/" + jobIds.get(0)).json().get("state").asText()).isEqualTo("SUCCEEDED");
        }
    }

    @Test
    void badRequestsGetTheirSpecificStatus() {
        String infer = "/v2/models/" + MODEL + "/infer";
        Http.Answer malformed = http.post(infer, "{\"inputs\": [");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("error").asText()).isNotBlank();

        Http.Answer wrongInput = http.post(infer, "{\"inputs\":[{\"name\":\"texts\",\"datatype\":\"BYTES\","
                + "\"shape\":[1],\"data\":[\"x\"]}]}");
        assertThat(wrongInput.status()).isEqualTo(400);
        assertThat(wrongInput.json().get("error").asText()).contains("texts");

        Http.Answer wrongType = http.post(infer, "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"FP32\","
                + "\"shape\":[1],\"data\":[1.0]}]}");
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.json().get("error").asText()).contains("text");

        Http.Answer unknownModel = http.post("/v2/models/no-such-model/infer", Http.text("x", "hi"));
        assertThat(unknownModel.status()).isEqualTo(404);
        assertThat(unknownModel.json().get("error").asText()).contains("no-such-model");

        Http.Answer unknownVersion = http.post("/v2/models/" + MODEL + "/versions/7/infer", Http.text("x", "hi"));
        assertThat(unknownVersion.status()).isEqualTo(404);
        assertThat(unknownVersion.json().get("error").asText()).contains("7");

        String huge = "x".repeat(5 << 20);
        Http.Answer tooLarge = http.post(infer, Http.text("big", huge));
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.json().get("error").asText()).contains("limit");

        Http.Answer badTimeout = http.post(infer, Http.text("t", "hi"), "X-Timeout-Ms", "soon");
        assertThat(badTimeout.status()).isEqualTo(400);

        Http.Answer metadata = http.get("/v2/models/" + MODEL);
        assertThat(metadata.status()).isEqualTo(200);
        assertThat(metadata.json().get("inputs").get(0).get("name").asText()).isEqualTo("text");
        assertThat(http.get("/v2/models/" + MODEL + "/ready").status()).isEqualTo(200);
        assertThat(http.get("/v2/models/nope").status()).isEqualTo(404);
    }

    @Test
    void notReadyTimeoutAndSheddingAgainstAStackWithoutAJob() throws Exception {
        // A second topic set with no job consuming it; no grace: a job that is not there cannot run.
        BridgeStack idle = new BridgeStack(kafka, "idle");
        String strict = idle.bridgeYaml("bridge-idle-1", "callbacks:\n  enabled: false\n")
                .replace("readiness:\n  check-interval-ms: 200\n",
                        "readiness:\n  check-interval-ms: 200\n  job-gone-grace-ms: 0\n");
        try (Bridge notReady = idle.startBridge(strict)) {
            Http h = new Http(notReady.port(), null);
            await().atMost(WAIT).until(() -> notReady.notReadyReason() != null
                    && notReady.notReadyReason().contains("committed no offsets"));
            Http.Answer ready = h.get("/v2/health/ready");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.json().get("reason").asText()).contains("idle-job");
            assertThat(h.get("/v2/health/live").status()).isEqualTo(200);
            Http.Answer refused = h.post("/v2/models/" + MODEL + "/infer", Http.text("n", "hi"));
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.json().get("error").asText()).contains("committed no offsets");
            assertThat(h.post("/v1/jobs/" + MODEL, Http.text("n", "hi")).status()).isEqualTo(503);
            assertThat(h.get("/metrics").body()).contains("streaminfer_bridge_refused_total{cause=\"job_gone\"}");
        }
        String lenient = idle.bridgeYaml("bridge-idle-2", "callbacks:\n  enabled: false\n"
                + "http:\n  host: 127.0.0.1\n  port: 0\n  max-in-flight: 1\n  retry-after-seconds: 3\n")
                .replace("readiness:\n  check-interval-ms: 200\n",
                        "readiness:\n  check-interval-ms: 200\n  require-job: false\n");
        try (Bridge noJob = idle.startBridge(lenient)) {
            Http h = new Http(noJob.port(), null);
            await().atMost(WAIT).until(noJob::isReady);
            CompletableFuture<Http.Answer> waiting = h.postAsync("/v2/models/" + MODEL + "/infer",
                    Http.text("w", "hi"), "X-Timeout-Ms", "3000");
            await().atMost(WAIT).until(() -> {
                Http.Answer shed = h.post("/v2/models/" + MODEL + "/infer", Http.text("s", "hi"));
                if (shed.status() != 429) {
                    return false;
                }
                assertThat(shed.raw().headers().firstValue("Retry-After")).contains("3");
                return true;
            });
            Http.Answer timedOut = waiting.join();
            assertThat(timedOut.status()).isEqualTo(504);
            String jobId = timedOut.json().get("job_id").asText();
            assertThat(timedOut.json().get("error").asText()).contains("/v1/jobs/" + jobId);
            assertThat(h.get("/metrics").body()).contains("streaminfer_bridge_timeouts_total")
                    .contains("streaminfer_bridge_shed_total");
        }
    }

    @Test
    void aCallerWhoTimedOutFetchesTheResultLaterByTheJobIdFromAnyReplica() {
        // Ask for a 1 ms wait: the answer is a 504 whose job ID later yields the result.
        Http.Answer a = http.post("/v2/models/" + MODEL + "/infer", Http.text("late", SENTENCES.get(5)),
                "X-Timeout-Ms", "1");
        if (a.status() == 200) {
            return; // the result beat a 1 ms timer: nothing to test this time
        }
        assertThat(a.status()).as(a.body()).isEqualTo(504);
        String jobId = a.json().get("job_id").asText();
        await().atMost(WAIT).until(() -> http.get("/v1/jobs/" + jobId).json().has("result"));
        JsonNode job = http.get("/v1/jobs/" + jobId).json();
        assertThat(job.get("state").asText()).isIn("SUCCEEDED", "EXPIRED");
        if (job.get("state").asText().equals("EXPIRED")) {
            assertThat(job.path("error_code").asText()).as(job.toString()).isEqualTo("DEADLINE_EXCEEDED");
        }
    }

    @Test
    void callbacksAreSignedAndInternalTargetsRefusedUnlessAllowed() throws Exception {
        Map<String, byte[]> bodies = new ConcurrentHashMap<>();
        Map<String, String> signatures = new ConcurrentHashMap<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String job = exchange.getRequestHeaders().getFirst("X-StreamInfer-Job-Id");
            bodies.put(job, body);
            signatures.put(job, exchange.getRequestHeaders().getFirst(Signatures.HEADER));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        int port = receiver.getAddress().getPort();
        try {
            String allowed = submitWithCallback("http://127.0.0.2:" + port + "/hook");
            String loopback = submitWithCallback("http://127.0.0.1:" + port + "/hook");
            String privateNet = submitWithCallback("http://10.1.2.3/hook");
            String metadata = submitWithCallback("http://169.254.169.254/latest/meta-data/");

            await().atMost(WAIT).until(() -> bodies.containsKey(allowed));
            assertThat(new Signatures(SECRET).verify(bodies.get(allowed), signatures.get(allowed))).isTrue();
            assertThat(new Signatures("another-secret-0123456").verify(bodies.get(allowed),
                    signatures.get(allowed))).isFalse();
            JsonNode body = io.streaminfer.contract.OipJson.MAPPER.readTree(bodies.get(allowed));
            assertThat(body.get("job_id").asText()).isEqualTo(allowed);
            assertThat(body.get("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(body.get("result").get("outputs").get(0).get("shape").get(1).asInt()).isEqualTo(384);
            await().atMost(WAIT).until(() -> "DELIVERED".equals(
                    http.get("/v1/jobs/" + allowed).json().path("callback").path("state").asText()));

            for (String refused : List.of(loopback, privateNet, metadata)) {
                await().atMost(WAIT).until(() -> "REFUSED".equals(
                        http.get("/v1/jobs/" + refused).json().path("callback").path("state").asText()));
                assertThat(bodies).doesNotContainKey(refused);
            }
            assertThat(http.get("/v1/jobs/" + loopback).json().get("callback").get("reason").asText())
                    .contains("loopback");
            assertThat(http.get("/v1/jobs/" + metadata).json().get("callback").get("reason").asText())
                    .contains("link-local");
            // The job itself still succeeded: the refusal concerns the callback only.
            assertThat(http.get("/v1/jobs/" + loopback).json().get("state").asText()).isEqualTo("SUCCEEDED");
        } finally {
            receiver.stop(0);
        }
    }

    private String submitWithCallback(String url) {
        String body = "{\"id\":\"cb\",\"parameters\":{\"callback_url\":\"" + url + "\"},\"inputs\":[{\"name\":"
                + "\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"" + SENTENCES.get(6) + "\"]}]}";
        Http.Answer a = http.post("/v1/jobs/" + MODEL, body);
        assertThat(a.status()).as(a.body()).isEqualTo(202);
        return a.json().get("job_id").asText();
    }

    @Test
    void authIsEnforcedExceptOnHealthAndMetrics() {
        Http anonymous = new Http(bridge.port(), null);
        Http.Answer none = anonymous.post("/v2/models/" + MODEL + "/infer", Http.text("a", "hi"));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.raw().headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(anonymous.get("/v1/jobs/j-0").status()).isEqualTo(401);
        assertThat(new Http(bridge.port(), "wrong-token-0123456789").post("/v2/models/" + MODEL + "/infer",
                Http.text("a", "hi")).status()).isEqualTo(403);
        Http.Answer apiKey = anonymous.post("/v2/models/" + MODEL + "/infer", Http.text("k", SENTENCES.get(0)),
                "X-API-Key", TOKEN);
        assertThat(apiKey.status()).as(apiKey.body()).isEqualTo(200);
        assertThat(anonymous.get("/v2/health/live").status()).isEqualTo(200);
        assertThat(anonymous.get("/v2/health/ready").status()).isEqualTo(200);
        assertThat(anonymous.get("/metrics").body()).contains("streaminfer_bridge_requests_total");
    }

    /**
     * A graph is served like a model: metadata of its inputs and outputs, Triton's ensemble config, its inputs
     * checked before anything is published, sync and async calls answered with the graph's outputs (the same as its
     * models called one after another), and an async job's events showing the step it is at.
     */
    @Test
    void theExampleGraphIsServedLikeAModelSyncAndAsync() throws Exception {
        JsonNode meta = http.get("/v2/models/sotu-qa").json();
        assertThat(meta.get("platform").asText()).isEqualTo("ensemble");
        assertThat(meta.get("inputs").get(0).get("name").asText()).isEqualTo("question");
        assertThat(meta.get("outputs")).extracting(o -> o.get("name").asText())
                .containsExactly("indices", "scores", "topic", "topic_score");
        assertThat(http.get("/v2/models/sotu-qa/ready").status()).isEqualTo(200);
        JsonNode config = http.get("/v2/models/sotu-qa/config").json();
        assertThat(config.get("ensemble_scheduling").get("step")).extracting(st -> st.get("model_name").asText())
                .containsExactly("all-minilm-l6-v2", "sotu-lookup", "sotu-topics");
        assertThat(config.get("ensemble_scheduling").get("step").get(1).get("input_map").get("embedding").asText())
                .isEqualTo("embed.embedding");
        Http.Answer wrong = http.post("/v2/models/sotu-qa/infer", Http.text("bad-1", "hello"));
        assertThat(wrong.status()).as("the graph's own inputs are checked").isEqualTo(400);
        assertThat(wrong.body()).contains("unexpected input 'text'", "[question]");

        String reference = java.nio.file.Files.readAllLines(java.nio.file.Path.of(BridgeStack.modelsDir(),
                "sotu-lookup", "1", "references.txt")).get(42);
        String weak = "Where can I buy a cheap bicycle helmet for my kid?";
        List<io.streaminfer.job.testing.SotuQa.Answer> byHand;
        try (var runtime = io.streaminfer.runtime.ModelRuntime.load(io.streaminfer.runtime.RuntimeOptions.builder()
                .modelsDir(java.nio.file.Path.of(BridgeStack.modelsDir())).models(java.util.Set.of(
                        "all-minilm-l6-v2", "sotu-lookup", "sotu-topics")).workers(1).build())) {
            byHand = io.streaminfer.job.testing.SotuQa.byHand(runtime, List.of(reference, weak), 1);
        }
        Http.Answer sync = http.post("/v2/models/sotu-qa/infer", question("q-1", reference));
        assertThat(sync.status()).as(sync.body()).isEqualTo(200);
        JsonNode r = sync.json();
        assertThat(r.get("model_name").asText()).isEqualTo("sotu-qa");
        assertThat(r.get("id").asText()).isEqualTo("q-1");
        assertThat(output(r, "indices").get("data").get(0).asLong()).as("a reference text finds itself")
                .isEqualTo(42);
        assertThat(longs(output(r, "indices").get("data"))).containsExactly(byHand.get(0).indices());
        assertThat(output(r, "topic")).as("a strong match skips the topic branch").isNull();
        assertThat(r.get("parameters").get("steps_skipped").asText()).isEqualTo("topic");

        Http.Answer submitted = http.post("/v1/jobs/sotu-qa", question("q-2", weak));
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
        String jobId = submitted.json().get("job_id").asText();
        List<String> events = sse("/v1/jobs/" + jobId + "/events");
        assertThat(events.get(events.size() - 1)).startsWith("result ");
        assertThat(events).anySatisfy(e -> assertThat(e).contains("\"state\":\"RUNNING\"", "\"step\":\"embed\""));
        JsonNode result = io.streaminfer.contract.OipJson.MAPPER.readTree(
                events.get(events.size() - 1).substring("result ".length()));
        assertThat(longs(output(result, "indices").get("data"))).containsExactly(byHand.get(1).indices());
        if (byHand.get(1).topic() != null) {
            assertThat(output(result, "topic").get("data").get(0).asLong()).isEqualTo(byHand.get(1).topic());
        }
        JsonNode job = http.get("/v1/jobs/" + jobId).json();
        assertThat(job.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(job.get("model").asText()).isEqualTo("sotu-qa");
    }

    private static String question(String id, String text) {
        return new String(io.streaminfer.contract.OipJson.writeRequest(new io.streaminfer.contract.InferenceRequest(
                id, List.of(io.streaminfer.contract.Tensor.ofStrings("question", text)))), StandardCharsets.UTF_8);
    }

    private static JsonNode output(JsonNode response, String name) {
        for (JsonNode o : response.get("outputs")) {
            if (o.get("name").asText().equals(name)) {
                return o;
            }
        }
        return null;
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    /** Reads a server-sent event stream to its end: "event data" per event. */
    private List<String> sse(String path) throws Exception {
        HttpRequest request = http.request(path).GET().build();
        HttpResponse<java.io.InputStream> response = http.client.send(request,
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("text/event-stream");
        List<String> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String event = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    events.add(event + " " + line.substring(6));
                }
            }
        }
        return events;
    }

    static float[] slice(float[] a, int from, int length) {
        return java.util.Arrays.copyOfRange(a, from, from + length);
    }

}
