package io.streaminfer.bridge.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.infer.MemoryBudget;
import io.streaminfer.bridge.infer.ModelStats;
import io.streaminfer.bridge.infer.StreamSlots;
import io.streaminfer.bridge.infer.SyncInference;
import io.streaminfer.bridge.jobs.JobView;
import io.streaminfer.bridge.jobs.ResultLookup;
import io.streaminfer.bridge.jobs.TokenLookup;
import io.streaminfer.bridge.kafka.ControlPublisher;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.pipeline.Admission;
import io.streaminfer.bridge.pipeline.Refusal;
import io.streaminfer.bridge.testing.Eventually;
import io.streaminfer.bridge.testing.InMemoryResults;
import io.streaminfer.bridge.testing.TinyRepository;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge's sync HTTP path on a real Vert.x server and a real HTTP client, with Kafka in memory (Kafka's own
 * {@code MockProducer} for the requests topic, {@link InMemoryResults} for the results topic, where the test plays
 * the job): a request is checked, published with its routing, and answered by the result keyed by its job ID.
 */
class InferRouteTest {
    static final String BODY = "{\"id\":\"caller-1\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
            + "\"shape\":[1,4],\"data\":[1,2,3,4]}]}";

    @TempDir
    Path repo;
    Vertx vertx;
    HttpServer server;
    InMemoryResults results;
    ReplyRouter replies;
    MockProducer<byte[], byte[]> requests;
    final AtomicReference<String> notReady = new AtomicReference<>();
    /** Ready, and taking every request, until the test gives a reason not to. */
    final Admission admission = new Admission() {
        @Override
        public String notReadyReason() {
            return notReady.get();
        }

        @Override
        public String jobCondition() {
            return null;
        }

        @Override
        public Refusal refusal(long waitMs) {
            String reason = notReady.get();
            return reason == null ? null : new Refusal(Refusal.Cause.NOT_READY, reason);
        }
    };
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        TinyRepository.create(repo);
        vertx = Vertx.vertx();
        results = new InMemoryResults("inference.results", 2);
        replies = new ReplyRouter(results, "inference.results", "bridge-0");
        replies.start(List.of(0, 1));
        requests = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        var router = HttpApi.builder(vertx)
                .repository(ModelRepository.open(repo))
                .publisher(new RequestPublisher(requests, "inference.requests"))
                .replies(replies)
                .jobs(new JobView(new InMemoryResults("inference.status", 1), "inference.status",
                        "inference.callbacks", 100), new ResultLookup(new InMemoryResults("inference.results", 2),
                        "inference.results", 1_000, 100))
                .metrics(new BridgeMetrics())
                .admission(admission)
                .tokens(List.of())
                .limits(64 << 10, 4, 1)
                .timeouts(30_000, 60_000)
                .budget(new MemoryBudget(1 << 20))
                .generation(generations(), new TokenLookup(null, 1_000), 60_000)
                .streams(new StreamSlots(8), 15_000)
                .build();
        server = vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    /** No generative model in this repository: the generation calls exist and are never used. */
    private GenerationCalls generations() {
        BridgeMetrics metrics = new BridgeMetrics();
        return new GenerationCalls(vertx, new RequestPublisher(requests, "inference.requests"), replies, null,
                new ControlPublisher(requests, "inference.control"), new SyncInference(vertx,
                        new RequestPublisher(requests, "inference.requests"), replies, metrics, new ModelStats(), 4),
                metrics, new ModelStats());
    }

    @AfterEach
    void stop() throws Exception {
        replies.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    CompletableFuture<HttpResponse<String>> post(String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The request the bridge published, once it has. */
    ProducerRecord<byte[], byte[]> published(int n) {
        Eventually.until(Duration.ofSeconds(10), () -> requests.history().size() >= n);
        return requests.history().get(n - 1);
    }

    static String header(ProducerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void aSyncCallIsPublishedWithItsRoutingAndAnsweredByTheResultKeyedByItsJobId() throws Exception {
        var response = post("/v2/models/tiny/infer", BODY);
        ProducerRecord<byte[], byte[]> request = published(1);
        String jobId = new String(request.key(), StandardCharsets.UTF_8);
        assertThat(request.topic()).isEqualTo("inference.requests");
        assertThat(new String(request.value(), StandardCharsets.UTF_8)).as("the body unchanged").isEqualTo(BODY);
        assertThat(header(request, KafkaContract.HEADER_MODEL)).isEqualTo("tiny");
        assertThat(header(request, KafkaContract.HEADER_REPLY_TO)).isEqualTo("bridge-0");
        int partition = Integer.parseInt(header(request, KafkaContract.HEADER_REPLY_PARTITION));
        assertThat(partition).isIn(0, 1);
        assertThat(Long.parseLong(header(request, KafkaContract.HEADER_DEADLINE)))
                .isGreaterThan(System.currentTimeMillis());

        results.reply(partition, "another-job", "{\"id\":\"other\"}".getBytes(StandardCharsets.UTF_8), null);
        String result = "{\"id\":\"caller-1\",\"model_name\":\"tiny\",\"outputs\":[]}";
        results.reply(partition, jobId, result.getBytes(StandardCharsets.UTF_8), null,
                KafkaContract.HEADER_TIMING_COMPUTE_US, "2500");
        HttpResponse<String> r = response.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(result);
        assertThat(r.headers().firstValue("X-Job-Id")).contains(jobId);
        assertThat(r.headers().firstValue("Server-Timing")).contains("model;dur=2.500");
    }

    @Test
    void theCallersTraceContextIsPassedOnInTheRequestRecordsHeadersAndAnInvalidOneIsDropped() throws Exception {
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        post("/v2/models/tiny/infer", BODY, "traceparent", traceparent, "tracestate", "congo=t61rcWkgMzE",
                RequestIntake.TIMEOUT_HEADER, "100");
        ProducerRecord<byte[], byte[]> traced = published(1);
        assertThat(header(traced, KafkaContract.HEADER_TRACEPARENT)).isEqualTo(traceparent);
        assertThat(header(traced, KafkaContract.HEADER_TRACESTATE)).isEqualTo("congo=t61rcWkgMzE");

        post("/v2/models/tiny/infer", BODY, "traceparent", traceparent.toUpperCase(java.util.Locale.ROOT),
                RequestIntake.TIMEOUT_HEADER, "100");
        ProducerRecord<byte[], byte[]> invalid = published(2);
        assertThat(header(invalid, KafkaContract.HEADER_TRACEPARENT)).isNull();
        assertThat(header(invalid, KafkaContract.HEADER_TRACESTATE)).isNull();
    }

    @Test
    void aFailedResultAnswersWithItsErrorCodesStatus() throws Exception {
        var response = post("/v2/models/tiny/infer", BODY);
        ProducerRecord<byte[], byte[]> request = published(1);
        results.reply(Integer.parseInt(header(request, KafkaContract.HEADER_REPLY_PARTITION)),
                new String(request.key(), StandardCharsets.UTF_8),
                "{\"error\":\"model call failed\"}".getBytes(StandardCharsets.UTF_8), ErrorCode.MODEL_ERROR.name());
        HttpResponse<String> r = response.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(ErrorCode.MODEL_ERROR.httpStatus());
        assertThat(r.body()).contains("model call failed");
    }

    @Test
    void aCallerWithoutAResultInItsTimeGets504NamingTheJobWhoseResultComesLater() throws Exception {
        HttpResponse<String> r = post("/v2/models/tiny/infer", BODY, RequestIntake.TIMEOUT_HEADER, "200")
                .get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(504);
        String jobId = new String(published(1).key(), StandardCharsets.UTF_8);
        assertThat(r.body()).contains("/v1/jobs/" + jobId);
        // Its result, when the job gets to it, has no caller left: read and dropped.
        results.reply(Integer.parseInt(header(published(1), KafkaContract.HEADER_REPLY_PARTITION)), jobId,
                "{}".getBytes(StandardCharsets.UTF_8), null);
        Eventually.until(Duration.ofSeconds(10), () -> replies.unclaimed() == 1);
    }

    @Test
    void badRequestsAreRefusedWithTheirReasonAndNothingIsPublished() throws Exception {
        assertThat(post("/v2/models/tiny/infer", "{not json").get(10, TimeUnit.SECONDS).statusCode())
                .isEqualTo(400);
        HttpResponse<String> unknown = post("/v2/models/huge/infer", BODY).get(10, TimeUnit.SECONDS);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("huge");
        HttpResponse<String> shape = post("/v2/models/tiny/infer", BODY.replace("[1,4]", "[1,3]"))
                .get(10, TimeUnit.SECONDS);
        assertThat(shape.statusCode()).isEqualTo(400);
        assertThat(post("/v2/models/tiny/infer", BODY, RequestIntake.TIMEOUT_HEADER, "soon")
                .get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(400);
        assertThat(requests.history()).isEmpty();
    }

    @Test
    void aReplicaThatIsNotReadyAnswers503WithTheReasonAndPublishesNothing() throws Exception {
        notReady.set("the results topic is not readable yet");
        HttpResponse<String> r = post("/v2/models/tiny/infer", BODY).get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("the results topic is not readable yet");
        assertThat(requests.history()).isEmpty();
    }

    @Test
    void callsBeyondTheReplicasInFlightLimitAreShedWith429AndRetryAfter() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> waiting = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) { // limits(..., maxInFlight 4, ...)
            waiting.add(post("/v2/models/tiny/infer", BODY));
        }
        published(4);
        HttpResponse<String> shed = post("/v2/models/tiny/infer", BODY).get(10, TimeUnit.SECONDS);
        assertThat(shed.statusCode()).isEqualTo(429);
        assertThat(shed.headers().firstValue("Retry-After")).contains("1");
        assertThat(waiting).noneMatch(CompletableFuture::isDone);
    }
}
