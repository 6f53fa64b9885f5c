package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.grpc.MethodDescriptor;
import io.grpc.stub.StreamObserver;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.bridge.grpc.proto.InferParameter;
import io.streaminfer.bridge.grpc.proto.InferTensorContents;
import io.streaminfer.bridge.grpc.proto.ModelInferRequest;
import io.streaminfer.bridge.grpc.proto.ModelStreamInferResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generation through the bridge on real parts (a Kafka broker, the pipeline job on a MiniCluster with the generative
 * model, bridge replicas): async generation jobs whose event streams resume with {@code Last-Event-ID} on another
 * replica and after a replica restart with no token missing or repeated; the text so far and cancels; a sync stream
 * whose client leaves stops its generation; the bound on open streams; Triton's generate extension; gRPC
 * ModelStreamInfer. The official OpenAI client's view is {@link OpenAiClientIT}.
 */
class GenerationBridgeIT {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationBridgeIT.class);
    static final String MODEL = "sotu-gpt";
    static final String EMBEDDER = "all-minilm-l6-v2";
    static final String TOKEN = "generation-token-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** As many tokens as the model allows, up to 440: still running when a client leaves or a cancel arrives. */
    static final int LONG_TOKENS = Math.min(440, ModelRepository.open(Path.of(BridgeStack.modelsDir()))
            .resolve(MODEL, null).config().generation().maxTokens().max());
    /** A long generation: end-of-sequence ignored. */
    static final String LONG = "\"max_tokens\":" + LONG_TOKENS + ",\"ignore_eos\":true,\"temperature\":0";

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge a;
    static Bridge b;
    static Http httpA;
    static Http httpB;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "gen-e2e").startJob(c -> c.models.serve = List.of(MODEL, EMBEDDER));
        a = stack.startBridge(yaml("gen-a", 0, ""));
        b = stack.startBridge(yaml("gen-b", 1, "streams:\n  max-open: 2\n"));
        httpA = new Http(a.port(), TOKEN);
        httpB = new Http(b.port(), TOKEN);
        await().atMost(WAIT).until(() -> a.isReady() && b.isReady());
    }

    static String yaml(String replica, int replyPartition, String extra) {
        return stack.bridgeYaml(replica, "auth:\n  tokens: [" + TOKEN + "]\ncallbacks:\n  enabled: false\n"
                + "reply:\n  partitions: [" + replyPartition + "]\n" + extra);
    }

    @AfterAll
    static void stop() throws Exception {
        BridgeStack.closeAll(a, b, stack, kafka);
    }

    static String submit(Http http, String body) {
        Http.Answer r = http.post("/v1/jobs/" + MODEL, body);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().get("job_id").asText();
    }

    static String prompt(String text, String parameters) {
        return "{\"prompt\":" + OipJson.MAPPER.valueToTree(text) + "," + parameters + "}";
    }

    /** Token events until {@code n} were read (or the stream ended). */
    static List<TokenRecord> tokens(SseStream s, int n) {
        List<TokenRecord> got = new ArrayList<>();
        while (got.size() < n) {
            SseStream.Event e = s.next();
            if (e == null) {
                break;
            }
            if ("token".equals(e.event())) {
                TokenRecord t = TokenRecord.fromJson(e.data().getBytes(StandardCharsets.UTF_8));
                assertThat(e.id()).as("the event id is the record's sequence number").isEqualTo(
                        Integer.toString(t.seq()));
                got.add(t);
            }
        }
        return got;
    }

    /** The rest of a job's event stream: its token records, and its result (null when none came). */
    record Rest(List<TokenRecord> tokens, JsonNode result) { }

    static Rest rest(SseStream s) throws IOException {
        List<TokenRecord> got = new ArrayList<>();
        JsonNode result = null;
        for (SseStream.Event e; (e = s.next()) != null; ) {
            if ("token".equals(e.event())) {
                got.add(TokenRecord.fromJson(e.data().getBytes(StandardCharsets.UTF_8)));
            } else if ("result".equals(e.event())) {
                result = OipJson.MAPPER.readTree(e.data());
            }
        }
        return new Rest(got, result);
    }

    static String text(JsonNode result) {
        return result.get("outputs").get(0).get("data").get(0).asText();
    }

    /** Sequence numbers 0..n-1 once each, only the last one last, their text joined the result's. */
    static void assertWhole(List<TokenRecord> all, JsonNode result) {
        assertThat(all).extracting(TokenRecord::seq)
                .containsExactlyElementsOf(IntStream.range(0, all.size()).boxed().toList());
        assertThat(all.subList(0, all.size() - 1)).noneMatch(TokenRecord::last);
        assertThat(all.get(all.size() - 1).last()).isTrue();
        assertThat(result).as("the result event").isNotNull();
        assertThat(all.stream().map(TokenRecord::text).collect(Collectors.joining())).isEqualTo(text(result));
    }

    @Test
    void aJobsEventsResumeOnAnotherReplicaWithLastEventIdWithNoTokenMissingOrRepeated() throws Exception {
        String id = submit(httpA, prompt("The state of the union is", LONG));
        List<TokenRecord> first;
        try (SseStream s = SseStream.get(a.port(), "/v1/jobs/" + id + "/events", TOKEN, Map.of())) {
            assertThat(s.status()).isEqualTo(200);
            first = tokens(s, 3);
        }
        assertThat(first).hasSize(3);
        assertThat(first.get(2).last()).as("the client left mid-generation").isFalse();
        int lastSeen = first.get(2).seq();
        Rest rest;
        try (SseStream s = SseStream.get(b.port(), "/v1/jobs/" + id + "/events", TOKEN,
                Map.of("Last-Event-ID", Integer.toString(lastSeen)))) {
            rest = rest(s);
        }
        assertThat(rest.tokens()).as("resumed after the last event seen").first()
                .extracting(TokenRecord::seq).isEqualTo(lastSeen + 1);
        List<TokenRecord> all = new ArrayList<>(first);
        all.addAll(rest.tokens());
        assertWhole(all, rest.result());
        assertThat(rest.result().get("parameters").get("finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void aClientFollowingAJobThroughABridgeRestartAssemblesTheWholeText() throws Exception {
        String yaml = yaml("gen-r", 2, "");
        Bridge first = stack.startBridge(yaml);
        String id;
        List<TokenRecord> before;
        try {
            await().atMost(WAIT).until(first::isReady);
            id = submit(new Http(first.port(), TOKEN), prompt("Our nation", LONG));
            SseStream s = SseStream.get(first.port(), "/v1/jobs/" + id + "/events", TOKEN, Map.of());
            before = tokens(s, 3);
            assertThat(before.get(2).last()).as("restarted mid-generation").isFalse();
            first.close(); // the replica goes away under its client
            s.close();
        } finally {
            first.close();
        }
        try (Bridge again = stack.startBridge(yaml)) {
            await().atMost(WAIT).until(again::isReady);
            Rest rest;
            try (SseStream s = SseStream.get(again.port(), "/v1/jobs/" + id + "/events", TOKEN,
                    Map.of("Last-Event-ID", Integer.toString(before.get(2).seq())))) {
                rest = rest(s);
            }
            List<TokenRecord> all = new ArrayList<>(before);
            all.addAll(rest.tokens());
            assertWhole(all, rest.result());
        }
    }

    @Test
    void aJobShowsItsTextSoFarAndACancelFromAnyReplicaEndsItCancelledWithThatText() {
        String body = "{\"inputs\":[{\"name\":\"text_input\",\"datatype\":\"BYTES\",\"shape\":[1],"
                + "\"data\":[\"Taxes and the budget\"]}],\"parameters\":{" + LONG + "}}";
        String id = submit(httpA, body);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
            JsonNode j = httpA.get("/v1/jobs/" + id).json(); // a generation goes from ACCEPTED to its end
            return "ACCEPTED".equals(j.path("state").asText()) && !j.path("text").asText().isEmpty();
        });
        Http.Answer cancel = httpB.send(httpB.request("/v1/jobs/" + id).DELETE().build());
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(202);
        await().atMost(WAIT).until(() -> httpA.get("/v1/jobs/" + id).json().path("state").asText()
                .equals("CANCELLED"));
        JsonNode job = httpA.get("/v1/jobs/" + id).json();
        JsonNode result = job.get("result");
        assertThat(result.get("parameters").get("finish_reason").asText()).isEqualTo("cancelled");
        int generated = result.get("parameters").get("completion_tokens").asInt();
        assertThat(generated).as("stopped mid-way").isBetween(1, LONG_TOKENS - 1);
        LOG.info("Cancelled through the API once text showed; the generation stopped at {} of {} tokens", generated,
                LONG_TOKENS);
        assertThat(job.get("text").asText()).isEqualTo(text(result)).isNotEmpty();
        Http.Answer again = httpB.post("/v1/jobs/" + id + "/cancel", "");
        assertThat(again.status()).as("cancelling twice is harmless: %s", again.body()).isEqualTo(200);
        assertThat(again.json().get("state").asText()).isEqualTo("CANCELLED");
    }

    @Test
    void aSyncStreamWhoseClientLeavesStopsItsGeneration() {
        String jobId;
        try (SseStream s = SseStream.post(a.port(), "/v1/completions", TOKEN, "{\"model\":\"" + MODEL + "\","
                + "\"prompt\":\"The economy\",\"stream\":true," + LONG + "}")) {
            assertThat(s.status()).isEqualTo(200);
            jobId = s.header("X-Job-Id");
            for (int i = 0; i < 3; i++) {
                assertThat(s.next()).isNotNull();
            }
        } // the client hangs up mid-generation
        await().atMost(WAIT).until(() -> "CANCELLED".equals(httpA.get("/v1/jobs/" + jobId).json().path("state")
                .asText()));
        JsonNode result = httpA.get("/v1/jobs/" + jobId).json().get("result");
        int generated = result.get("parameters").get("completion_tokens").asInt();
        assertThat(generated).isBetween(1, LONG_TOKENS - 1);
        LOG.info("The client left after 3 chunks; its generation stopped at {} of {} tokens", generated, LONG_TOKENS);
        assertThat(httpA.get("/metrics").body())
                .containsPattern("streaminfer_bridge_generation_cancels_total\\{cause=\"client_gone\"} [1-9]");
    }

    @Test
    void streamsBeyondTheReplicasLimitAre429WithRetryAfter() {
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":\"Congress\",\"stream\":true," + LONG + "}";
        try (SseStream one = SseStream.post(b.port(), "/v1/completions", TOKEN, body);
                SseStream two = SseStream.post(b.port(), "/v1/completions", TOKEN, body)) {
            assertThat(one.next()).isNotNull();
            assertThat(two.next()).isNotNull();
            try (SseStream three = SseStream.post(b.port(), "/v1/completions", TOKEN, body)) {
                assertThat(three.status()).isEqualTo(429);
                assertThat(three.header("Retry-After")).isEqualTo("1");
                assertThat(three.body()).contains("\"type\":\"rate_limit_error\"", "streams.max-open");
            }
            assertThat(one.next()).as("the open streams go on").isNotNull();
        }
        await().atMost(WAIT).untilAsserted(() -> {
            try (SseStream later = SseStream.post(b.port(), "/v1/completions", TOKEN,
                    "{\"model\":\"" + MODEL + "\",\"prompt\":\"Later\",\"stream\":true,\"max_tokens\":2}")) {
                assertThat(later.status()).as("slots come back when streams close").isEqualTo(200);
            }
        });
    }

    @Test
    void tritonsGenerateAndGenerateStreamAgree() throws Exception {
        String body = "{\"text_input\":\"The nation\",\"parameters\":{\"max_tokens\":24,\"temperature\":0}}";
        Http.Answer once = httpA.post("/v2/models/" + MODEL + "/generate", body);
        assertThat(once.status()).as(once.body()).isEqualTo(200);
        JsonNode o = once.json();
        assertThat(o.get("model_name").asText()).isEqualTo(MODEL);
        assertThat(o.get("model_version").asText()).isEqualTo("1");
        String whole = o.get("text_output").asText();
        assertThat(whole).isNotEmpty();
        StringBuilder joined = new StringBuilder();
        JsonNode last = null;
        try (SseStream s = SseStream.post(a.port(), "/v2/models/" + MODEL + "/versions/1/generate_stream", TOKEN,
                body)) {
            assertThat(s.status()).isEqualTo(200);
            for (SseStream.Event e; (e = s.next()) != null; ) {
                last = OipJson.MAPPER.readTree(e.data());
                assertThat(last.get("model_name").asText()).isEqualTo(MODEL);
                joined.append(last.get("text_output").asText());
            }
        }
        assertThat(joined.toString()).isEqualTo(whole);
        assertThat(last.get("finish_reason").asText()).isEqualTo(o.get("finish_reason").asText());
        Http.Answer oip = httpA.post("/v2/models/" + MODEL + "/infer", "{\"inputs\":[{\"name\":\"text_input\","
                + "\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"The nation\"]}],\"parameters\":{\"max_tokens\":24,"
                + "\"temperature\":0}}");
        assertThat(oip.status()).as(oip.body()).isEqualTo(200);
        assertThat(text(oip.json())).as("the OIP endpoint generates the same").isEqualTo(whole);
        Http.Answer unknown = httpA.post("/v2/models/nope/generate", body);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").asText()).contains("nope");
        Http.Answer bad = httpA.post("/v2/models/" + MODEL + "/generate",
                "{\"text_input\":\"x\",\"parameters\":{\"temperature\":\"hot\"}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").asText()).contains("temperature");
    }

    @Test
    void grpcModelStreamInferSendsOneResponsePerPieceOfTextAndAFinalOne() throws Exception {
        Http.Answer once = httpA.post("/v2/models/" + MODEL + "/generate",
                "{\"text_input\":\"The people\",\"parameters\":{\"max_tokens\":20,\"temperature\":0}}");
        String whole = once.json().get("text_output").asText();
        ConcurrentLinkedQueue<ModelStreamInferResponse> answers = new ConcurrentLinkedQueue<>();
        CountDownLatch ended = new CountDownLatch(1);
        try (GrpcClient grpc = new GrpcClient(a.grpcPort(), TOKEN)) {
            MethodDescriptor<ModelInferRequest, ModelStreamInferResponse> method = GrpcClient.method(
                    "ModelStreamInfer", ModelInferRequest.getDefaultInstance(),
                    ModelStreamInferResponse.getDefaultInstance(), MethodDescriptor.MethodType.BIDI_STREAMING);
            StreamObserver<ModelInferRequest> requests = grpc.bidi(method, new StreamObserver<>() {
                @Override
                public void onNext(ModelStreamInferResponse r) {
                    answers.add(r);
                }

                @Override
                public void onError(Throwable t) {
                    ended.countDown();
                }

                @Override
                public void onCompleted() {
                    ended.countDown();
                }
            });
            requests.onNext(text(MODEL, "gen-1", "text_input", "The people")
                    .putParameters("max_tokens", InferParameter.newBuilder().setInt64Param(20).build())
                    .putParameters("temperature", InferParameter.newBuilder().setDoubleParam(0).build()).build());
            requests.onNext(text(EMBEDDER, "emb-1", "text", "A man is eating food.").build());
            requests.onNext(text("nope", "bad-1", "text", "x").build());
            requests.onCompleted();
            assertThat(ended.await(120, TimeUnit.SECONDS)).isTrue();
        }
        List<ModelStreamInferResponse> gen = answers.stream().filter(r -> r.getInferResponse().getId()
                .equals("gen-1")).toList();
        assertThat(gen).allMatch(r -> r.getErrorMessage().isEmpty());
        assertThat(gen.subList(0, gen.size() - 1)).allMatch(r -> !isFinal(r));
        ModelStreamInferResponse last = gen.get(gen.size() - 1);
        assertThat(isFinal(last)).isTrue();
        assertThat(last.getInferResponse().getParametersMap().get("finish_reason").getStringParam()).isNotEmpty();
        assertThat(gen.stream().map(r -> r.getInferResponse().getOutputs(0).getContents().getBytesContents(0)
                .toStringUtf8()).collect(Collectors.joining())).isEqualTo(whole);
        List<ModelStreamInferResponse> emb = answers.stream().filter(r -> r.getInferResponse().getId()
                .equals("emb-1")).toList();
        assertThat(emb).hasSize(1);
        assertThat(isFinal(emb.get(0))).isTrue();
        assertThat(emb.get(0).getInferResponse().getOutputs(0).getShapeList()).containsExactly(1L, 384L);
        List<ModelStreamInferResponse> bad = answers.stream().filter(r -> r.getInferResponse().getId()
                .equals("bad-1")).toList();
        assertThat(bad).hasSize(1);
        assertThat(bad.get(0).getErrorMessage()).contains("nope");
    }

    private static boolean isFinal(ModelStreamInferResponse r) {
        InferParameter p = r.getInferResponse().getParametersMap().get("triton_final_response");
        return p != null && p.getBoolParam();
    }

    private static ModelInferRequest.Builder text(String model, String id, String input, String value) {
        return ModelInferRequest.newBuilder().setModelName(model).setId(id)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(input).setDatatype("BYTES")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFromUtf8(value))));
    }
}
