package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.bridge.grpc.proto.InferTensorContents;
import io.streaminfer.bridge.grpc.proto.ModelInferRequest;
import io.streaminfer.bridge.grpc.proto.ModelInferResponse;
import io.streaminfer.bridge.grpc.proto.ServerReadyRequest;
import io.streaminfer.bridge.grpc.proto.ServerReadyResponse;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.TopicCollector;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Issue 29: the bridge takes the work Kafka holds while the pipeline job restarts. A stand-in for Flink's REST API,
 * driven by the test, says the job is RESTARTING and later that it FAILED; the test itself plays the job on a real
 * broker (it reads the requests topic and writes results to the partition each request names). While the job
 * restarts the replica stays ready and says so, an async submission is accepted and lands on the requests topic, and
 * a sync call (HTTP and gRPC) is not refused but waits and gets the result that appears; only a call whose wait is
 * shorter than the outage so far is refused. Once the job has failed for longer than the grace period, every request
 * gets a 503 (UNAVAILABLE) that says why, and the replica is not ready.
 */
class BridgeJobRestartIT {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final String PREFIX = "restart";
    private static final String JOB = "streaminfer-restart";
    private static final String REPLICA = "restart-a";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void requestsAreTakenWhileTheJobRestartsAndRefusedWithTheReasonOnceItFailedForGood() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); FlinkStandIn flink = new FlinkStandIn()) {
            BridgeStack stack = new BridgeStack(kafka, PREFIX); // the topics, and no job
            flink.job("RESTARTING");
            String yaml = stack.bridgeYaml(REPLICA, "callbacks:\n  enabled: false\n"
                    + "flink:\n  rest-url: " + flink.url() + "\n  job-name: " + JOB + "\n")
                    .replace("readiness:\n  check-interval-ms: 200\n",
                            "readiness:\n  check-interval-ms: 200\n  job-gone-grace-ms: 2000\n");
            try (Bridge bridge = stack.startBridge(yaml);
                    TopicCollector requests = new TopicCollector(kafka.bootstrapServers(), PREFIX + ".requests",
                            "read_uncommitted");
                    KafkaProducer<byte[], byte[]> results = kafka.producer();
                    GrpcClient grpc = new GrpcClient(bridge.grpcPort(), null)) {
                Http http = new Http(bridge.port(), null);

                // Ready while the job restarts, with the job's state beside it.
                await().atMost(WAIT).until(() -> http.get("/v2/health/ready").json().path("pipeline_job").asText()
                        .contains("RESTARTING"));
                Http.Answer ready = http.get("/v2/health/ready");
                assertThat(ready.status()).as(ready.body()).isEqualTo(200);
                assertThat(ready.json().get("ready").asBoolean()).isTrue();
                assertThat(ready.json().get("pipeline_job").asText())
                        .startsWith("the pipeline job '" + JOB + "' is RESTARTING (0 of 3 tasks running; task "
                                + "managers: 0, free slots: 0); latest failure: Exception: TaskManager lost");
                assertThat(serverReady(grpc)).isTrue();

                // Async: accepted, and on the requests topic for the job to take when it runs again.
                Http.Answer submitted = http.post("/v1/jobs/" + MODEL, Http.text("async-1", "A man is eating food."));
                assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
                String asyncJob = submitted.json().get("job_id").asText();
                await().atMost(WAIT).until(() -> requests.has(asyncJob));

                // Sync over HTTP: published (so not refused at the door), waiting, answered by the result.
                int before = requests.all().size();
                CompletableFuture<Http.Answer> call = http.postAsync("/v2/models/" + MODEL + "/infer",
                        Http.text("sync-1", "A man is eating food."), "X-Timeout-Ms", "60000");
                ConsumerRecord<byte[], byte[]> request = nextRequest(requests, before);
                assertThat(call).as("waiting for its result, not refused").isNotDone();
                answer(results, request, "sync-1", 0.25f);
                Http.Answer answered = call.get();
                assertThat(answered.status()).as(answered.body()).isEqualTo(200);
                assertThat(answered.raw().headers().firstValue("X-Job-Id")).contains(key(request));
                assertThat(answered.json().get("id").asText()).isEqualTo("sync-1");
                assertThat(answered.json().get("outputs").get(0).get("data").get(0).floatValue()).isEqualTo(0.25f);

                // Sync over gRPC, the same.
                before = requests.all().size();
                ListenableFuture<ModelInferResponse> grpcCall = grpc.future(GrpcClient.method("ModelInfer",
                        ModelInferRequest.getDefaultInstance(), ModelInferResponse.getDefaultInstance()),
                        text("grpc-1"));
                request = nextRequest(requests, before);
                assertThat(grpcCall.isDone()).as("waiting for its result, not refused").isFalse();
                answer(results, request, "grpc-1", 0.5f);
                ModelInferResponse grpcAnswer = grpcCall.get();
                assertThat(grpcAnswer.getId()).isEqualTo("grpc-1");
                assertThat(grpcAnswer.getOutputs(0).getContents().getFp32Contents(0)).isEqualTo(0.5f);

                // A caller who waits less than the job has been down already is told so at once.
                Http.Answer hurried = http.post("/v2/models/" + MODEL + "/infer", Http.text("h", "hi"),
                        "X-Timeout-Ms", "1");
                assertThat(hurried.status()).as(hurried.body()).isEqualTo(503);
                assertThat(hurried.json().get("error").asText()).contains("is RESTARTING")
                        .contains("longer than this request would wait (1 ms)");

                // The job fails for good: after the grace period, every request gets a 503 that says why.
                flink.job("FAILED");
                await().atMost(WAIT).until(() -> http.get("/v2/health/ready").status() == 503);
                assertThat(http.get("/v2/health/ready").json().get("reason").asText())
                        .contains("no pipeline job named '" + JOB + "' runs on the Flink cluster")
                        .contains("(the latest one ended FAILED); its latest failure: Exception: TaskManager lost")
                        .contains("(readiness.job-gone-grace-ms)");
                assertThat(http.get("/v2/health/live").status()).isEqualTo(200);
                int published = requests.all().size();
                Http.Answer refused = http.post("/v2/models/" + MODEL + "/infer", Http.text("r", "hi"),
                        "X-Timeout-Ms", "60000");
                assertThat(refused.status()).as(refused.body()).isEqualTo(503);
                assertThat(refused.json().get("error").asText()).contains("ended FAILED");
                Http.Answer refusedJob = http.post("/v1/jobs/" + MODEL, Http.text("r", "hi"));
                assertThat(refusedJob.status()).as(refusedJob.body()).isEqualTo(503);
                assertThat(refusedJob.json().get("error").asText()).contains("ended FAILED");
                StatusRuntimeException unavailable = catchThrowableOfType(StatusRuntimeException.class,
                        () -> grpc.call(GrpcClient.method("ModelInfer", ModelInferRequest.getDefaultInstance(),
                                ModelInferResponse.getDefaultInstance()), text("r")));
                assertThat(unavailable.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(unavailable.getStatus().getDescription()).contains("ended FAILED");
                assertThat(serverReady(grpc)).isFalse();
                assertThat(requests.all()).as("nothing refused went to Kafka").hasSize(published);

                String metrics = http.get("/metrics").body();
                assertThat(metrics).contains("streaminfer_bridge_refused_total{cause=\"job_gone\"} 3.0")
                        .contains("streaminfer_bridge_refused_total{cause=\"job_down_longer_than_wait\"} 1.0")
                        .contains("streaminfer_bridge_pipeline_job_down_seconds");
            }
        }
    }

    private static boolean serverReady(GrpcClient grpc) {
        return grpc.call(GrpcClient.method("ServerReady", ServerReadyRequest.getDefaultInstance(),
                ServerReadyResponse.getDefaultInstance()), ServerReadyRequest.getDefaultInstance()).getReady();
    }

    /** The first request published after the first {@code seen} ones. */
    private static ConsumerRecord<byte[], byte[]> nextRequest(TopicCollector requests, int seen) {
        await().atMost(WAIT).until(() -> requests.all().size() > seen);
        ConsumerRecord<byte[], byte[]> r = requests.all().get(seen);
        assertThat(TopicCollector.header(r, KafkaContract.HEADER_REPLY_TO)).isEqualTo(REPLICA);
        return r;
    }

    /** What the job would write for the request: an OIP response on the partition the request names. */
    private static void answer(KafkaProducer<byte[], byte[]> results, ConsumerRecord<byte[], byte[]> request,
            String id, float value) throws ExecutionException, InterruptedException {
        int partition = Integer.parseInt(TopicCollector.header(request, KafkaContract.HEADER_REPLY_PARTITION));
        String body = "{\"model_name\":\"" + MODEL + "\",\"model_version\":\"1\",\"id\":\"" + id + "\",\"outputs\":"
                + "[{\"name\":\"embedding\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[" + value + ",0.0]}]}";
        results.send(new ProducerRecord<>(PREFIX + ".results", partition, request.key(),
                body.getBytes(StandardCharsets.UTF_8))).get();
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }

    private static ModelInferRequest text(String id) {
        return ModelInferRequest.newBuilder().setModelName(MODEL).setId(id)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFromUtf8("A man is eating food."))))
                .build();
    }

    /** Answers {@code /jobs/overview}, {@code /overview} and the job's exceptions as Flink's REST API does. */
    private static final class FlinkStandIn implements AutoCloseable {
        private final HttpServer server;
        private volatile String state = "RUNNING";

        FlinkStandIn() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                String path = exchange.getRequestURI().getPath();
                String body = switch (path) {
                    case "/jobs/overview" -> "{\"jobs\":[{\"jid\":\"j1\",\"name\":\"" + JOB + "\",\"state\":\"" + state
                            + "\",\"start-time\":1,\"tasks\":{\"running\":" + (state.equals("RUNNING") ? 3 : 0)
                            + ",\"total\":3}}]}";
                    case "/overview" -> "{\"taskmanagers\":0,\"slots-available\":0}";
                    case "/jobs/j1/exceptions" -> "{\"exceptionHistory\":{\"entries\":[{\"stacktrace\":"
                            + "\"java.lang.Exception: TaskManager lost\\n\\tat a.B.c(B.java:1)\\n\"}]}}";
                    default -> null;
                };
                byte[] bytes = (body == null ? "{\"errors\":[\"Not found: " + path + "\"]}" : body)
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
                exchange.getResponseBody().write(bytes);
                exchange.close();
            });
            server.start();
        }

        void job(String newState) {
            state = newState;
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
