package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.data.Offset;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.bridge.grpc.proto.DataType;
import io.streaminfer.bridge.grpc.proto.InferParameter;
import io.streaminfer.bridge.grpc.proto.InferTensorContents;
import io.streaminfer.bridge.grpc.proto.ModelConfig;
import io.streaminfer.bridge.grpc.proto.ModelConfigRequest;
import io.streaminfer.bridge.grpc.proto.ModelConfigResponse;
import io.streaminfer.bridge.grpc.proto.ModelEnsembling;
import io.streaminfer.bridge.grpc.proto.ModelInferRequest;
import io.streaminfer.bridge.grpc.proto.ModelInferResponse;
import io.streaminfer.bridge.grpc.proto.ModelMetadataRequest;
import io.streaminfer.bridge.grpc.proto.ModelMetadataResponse;
import io.streaminfer.bridge.grpc.proto.ModelReadyRequest;
import io.streaminfer.bridge.grpc.proto.ModelReadyResponse;
import io.streaminfer.bridge.grpc.proto.ModelStatistics;
import io.streaminfer.bridge.grpc.proto.ModelStatisticsRequest;
import io.streaminfer.bridge.grpc.proto.ModelStatisticsResponse;
import io.streaminfer.bridge.grpc.proto.RepositoryIndexRequest;
import io.streaminfer.bridge.grpc.proto.RepositoryIndexResponse;
import io.streaminfer.bridge.grpc.proto.ServerLiveRequest;
import io.streaminfer.bridge.grpc.proto.ServerLiveResponse;
import io.streaminfer.bridge.grpc.proto.ServerMetadataRequest;
import io.streaminfer.bridge.grpc.proto.ServerMetadataResponse;
import io.streaminfer.bridge.grpc.proto.ServerReadyRequest;
import io.streaminfer.bridge.grpc.proto.ServerReadyResponse;
import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.TensorBytes;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.Embeddings;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Open Inference Protocol as Triton's and KServe's clients speak it, end to end on real parts (in-process
 * Kafka, the job in a Flink MiniCluster with the real models): HTTP binary tensors, the same framing on Kafka, the
 * gRPC service, the model configuration, statistics and repository index, and many large bodies at once.
 */
class OpenInferenceIT {
    /** Logits compare within float rounding: batched with other rows, a matrix product may round its last bit. */
    private static final Offset<Float> ROUNDING = Offset.offset(1e-5f);

    private static final String MINILM = "all-minilm-l6-v2";
    private static final String MLP = "tiny-mlp";
    private static final String TOKEN = "oip-token-0123456789abcdef";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final List<String> SENTENCES = List.of("A man is eating food.", "A monkey is playing drums.",
            "A cheetah is running behind its prey.");
    private static final float[] FEATURES = {1, 2, 3, 4};

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static Http http;
    static GrpcClient grpc;
    static Map<String, float[]> expected;
    static float[] expectedLogits;

    static final MethodDescriptor<ModelInferRequest, ModelInferResponse> INFER = GrpcClient.method("ModelInfer",
            ModelInferRequest.getDefaultInstance(), ModelInferResponse.getDefaultInstance());

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "oip").startJob();
        bridge = stack.startBridge(stack.bridgeYaml("oip-a", "auth:\n  tokens: [" + TOKEN + "]\n"
                + "callbacks:\n  enabled: false\n"));
        http = new Http(bridge.port(), TOKEN);
        grpc = new GrpcClient(bridge.grpcPort(), TOKEN);
        await().atMost(WAIT).until(bridge::isReady);
        expected = Embeddings.reference(MINILM, SENTENCES);
        JsonNode reference = OipJson.MAPPER.readTree(Files.readString(Path.of(BridgeStack.modelsDir(), MLP, "1",
                "reference.json")));
        expectedLogits = Embeddings.floats(reference.get("cases").get(0).get("logits").get(0));
    }

    @AfterAll
    static void stop() throws Exception {
        if (grpc != null) {
            grpc.close();
        }
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

    // ---------------------------------------------------------------- HTTP binary

    /** What Triton's Python client sends with its defaults: binary inputs, no outputs, binary_data_output. */
    @Test
    void tritonsHttpClientDefaultsBinaryInAndBinaryOut() throws Exception {
        String header = "{\"id\":\"t-1\",\"inputs\":[{\"name\":\"features\",\"shape\":[1,4],\"datatype\":\"FP32\","
                + "\"parameters\":{\"binary_data_size\":16}}],\"parameters\":{\"binary_data_output\":true}}";
        Binary a = postBinary("/v2/models/" + MLP + "/infer", header, floats(FEATURES));

        assertThat(a.status).as(a.text()).isEqualTo(200);
        assertThat(a.headerLength).as("Inference-Header-Content-Length").isPositive();
        InferenceResponse r = OipBinary.parseResponse(a.body, a.headerLength);
        assertThat(r.id()).isEqualTo("t-1");
        assertThat(r.output("logits").floats()).containsExactly(expectedLogits, ROUNDING);
        assertThat(r.output("label").longs()).containsExactly(0);
        JsonNode json = OipJson.MAPPER.readTree(a.body, 0, a.headerLength);
        assertThat(json.get("outputs").get(0).get("parameters").get("binary_data_size").asInt()).isEqualTo(12);
    }

    @Test
    void textAsLengthPrefixedBytesGivesTheRuntimesEmbeddingsBinary() {
        byte[] text = TensorBytes.encode(Tensor.ofStrings("text", SENTENCES.toArray(new String[0])));
        String header = "{\"inputs\":[{\"name\":\"text\",\"shape\":[3],\"datatype\":\"BYTES\",\"parameters\":"
                + "{\"binary_data_size\":" + text.length + "}}],\"outputs\":[{\"name\":\"embedding\",\"parameters\":"
                + "{\"binary_data\":true}}]}";
        Binary a = postBinary("/v2/models/" + MINILM + "/infer", header, text);

        assertThat(a.status).as(a.text()).isEqualTo(200);
        float[] all = OipBinary.parseResponse(a.body, a.headerLength).output("embedding").floats();
        assertThat(a.body.length - a.headerLength).isEqualTo(3 * 384 * 4);
        for (int i = 0; i < 3; i++) {
            assertThat(Embeddings.cosine(BridgeIT.slice(all, i * 384, 384), expected.get(SENTENCES.get(i))))
                    .isGreaterThan(0.9999);
        }
    }

    @Test
    void jsonInputsMayAskForSomeOutputsBinaryAndOthersJson() {
        String body = "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}],"
                + "\"outputs\":[{\"name\":\"logits\",\"parameters\":{\"binary_data\":true}},{\"name\":\"label\","
                + "\"parameters\":{\"binary_data\":false}}]}";
        Binary a = postBinary("/v2/models/" + MLP + "/infer", body, new byte[0]);

        assertThat(a.status).as(a.text()).isEqualTo(200);
        assertThat(a.body.length - a.headerLength).isEqualTo(12);
        String header = new String(a.body, 0, a.headerLength, StandardCharsets.UTF_8);
        assertThat(header).contains("\"label\"").contains("\"data\":[0]");
        assertThat(OipBinary.parseResponse(a.body, a.headerLength).output("logits").floats())
                .containsExactly(expectedLogits, ROUNDING);
    }

    @Test
    void jsonStaysJson() {
        Http.Answer a = http.post("/v2/models/" + MLP + "/infer", "{\"inputs\":[{\"name\":\"features\","
                + "\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.raw().headers().firstValue("Inference-Header-Content-Length")).isEmpty();
        assertThat(Embeddings.floats(a.json().get("outputs").get(0).get("data"))).containsExactly(expectedLogits, ROUNDING);
    }

    /** Every datatype's binary form is read by the bridge: the model then names the one it takes. */
    @ParameterizedTest
    @EnumSource(value = Datatype.class, names = {"FP32"}, mode = EnumSource.Mode.EXCLUDE)
    void everyDatatypeIsReadFromItsBinaryForm(Datatype d) {
        Tensor t = sample(d);
        byte[] data = TensorBytes.encode(t);
        String header = "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,4],\"datatype\":\"" + d + "\","
                + "\"parameters\":{\"binary_data_size\":" + data.length + "}}]}";
        Binary a = postBinary("/v2/models/" + MLP + "/infer", header, data);
        assertThat(a.status).as(a.text()).isEqualTo(400);
        assertThat(a.text()).contains("must be FP32, got " + d);
    }

    @Test
    void wrongSizesTruncatedBodiesAndBodiesOverTheLimitAreRefusedClearly() {
        String infer = "/v2/models/" + MLP + "/infer";
        String declares16 = "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,4],\"datatype\":\"FP32\","
                + "\"parameters\":{\"binary_data_size\":16}}]}";
        String declares12 = declares16.replace("16", "12");

        Binary wrongSize = postBinary(infer, declares12, new byte[12]);
        assertThat(wrongSize.status).isEqualTo(400);
        assertThat(wrongSize.text()).contains("12 bytes").contains("16 bytes");

        Binary truncated = postBinary(infer, declares16, new byte[10]);
        assertThat(truncated.status).isEqualTo(400);
        assertThat(truncated.text()).contains("truncated");

        Binary lengthBeyondBody = send(infer, concat(declares16.getBytes(StandardCharsets.UTF_8), new byte[16]),
                declares16.length() + 100);
        assertThat(lengthBeyondBody.status).isEqualTo(400);
        assertThat(lengthBeyondBody.text()).contains("Inference-Header-Content-Length");

        byte[] big = new byte[5 << 20];
        Binary tooLarge = postBinary(infer, declares16.replace("16", Integer.toString(big.length)), big);
        assertThat(tooLarge.status).isEqualTo(413);
        assertThat(tooLarge.text()).contains("limit");
    }

    // ---------------------------------------------------------------- Kafka framing through the job

    @Test
    void kafkaProducersSendBinaryFramedRequestsAndGetBinaryResultsWhenTheyAsk() throws Exception {
        String header = "{\"id\":\"k-bin\",\"parameters\":{\"binary_data_output\":true},\"inputs\":[{\"name\":"
                + "\"features\",\"shape\":[1,4],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":16}}]}";
        byte[] binary = concat(header.getBytes(StandardCharsets.UTF_8), floats(FEATURES));
        RecordHeaders h = new RecordHeaders();
        h.add(KafkaContract.HEADER_MODEL, MLP.getBytes(StandardCharsets.UTF_8));
        h.add(KafkaContract.HEADER_CONTENT_TYPE, KafkaContract.CONTENT_TYPE_OIP_BINARY.getBytes(StandardCharsets.UTF_8));
        h.add(KafkaContract.HEADER_INFERENCE_HEADER_LENGTH,
                Integer.toString(header.length()).getBytes(StandardCharsets.UTF_8));
        RecordHeaders j = new RecordHeaders();
        j.add(KafkaContract.HEADER_MODEL, MLP.getBytes(StandardCharsets.UTF_8));
        byte[] json = ("{\"id\":\"k-json\",\"inputs\":[{\"name\":\"features\",\"shape\":[1,4],\"datatype\":\"FP32\","
                + "\"data\":[1,2,3,4]}]}").getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
            producer.send(new ProducerRecord<>("oip.requests", null, null, bytes("kafka-bin-1"), binary, h)).get();
            producer.send(new ProducerRecord<>("oip.requests", null, null, bytes("kafka-json-1"), json, j)).get();
        }
        List<ConsumerRecord<byte[], byte[]>> results = new ArrayList<>();
        await().atMost(WAIT).until(() -> {
            results.clear();
            for (ConsumerRecord<byte[], byte[]> r : kafka.readAll("oip.results", Duration.ofSeconds(2))) {
                String key = new String(r.key(), StandardCharsets.UTF_8);
                if (key.equals("kafka-bin-1") || key.equals("kafka-json-1")) {
                    results.add(r);
                }
            }
            return results.size() >= 2;
        });
        for (ConsumerRecord<byte[], byte[]> r : results) {
            String type = header(r, KafkaContract.HEADER_CONTENT_TYPE);
            InferenceResponse response;
            if (new String(r.key(), StandardCharsets.UTF_8).equals("kafka-bin-1")) {
                assertThat(type).isEqualTo(KafkaContract.CONTENT_TYPE_OIP_BINARY);
                int length = Integer.parseInt(header(r, KafkaContract.HEADER_INFERENCE_HEADER_LENGTH));
                assertThat(r.value().length - length).as("3 logits and a label, 4 and 8 bytes each")
                        .isEqualTo(3 * 4 + 8);
                response = OipBinary.parseResponse(r.value(), length);
                assertThat(response.id()).isEqualTo("k-bin");
            } else {
                assertThat(type).as("results of JSON requests stay JSON").isNull();
                response = OipJson.parseResponse(r.value());
                assertThat(new String(r.value(), StandardCharsets.UTF_8)).startsWith("{").endsWith("}");
            }
            assertThat(response.output("logits").floats()).containsExactly(expectedLogits, ROUNDING);
        }
    }

    // ---------------------------------------------------------------- what Triton's clients call beside infer

    @Test
    void modelConfigStatisticsAndTheRepositoryIndexInTritonsShapes() {
        Http.Answer config = http.get("/v2/models/" + MLP + "/config");
        assertThat(config.status()).as(config.body()).isEqualTo(200);
        JsonNode c = config.json();
        assertThat(c.get("max_batch_size").asInt()).isEqualTo(64);
        assertThat(c.get("input").get(0).get("data_type").asText()).isEqualTo("TYPE_FP32");
        assertThat(c.get("input").get(0).get("dims").toString()).isEqualTo("[4]");
        assertThat(c.get("output").get(1).get("data_type").asText()).isEqualTo("TYPE_INT64");
        assertThat(c.has("dynamic_batching")).isTrue();
        assertThat(http.get("/v2/models/" + MINILM + "/config").json().get("input").get(0).get("data_type")
                .asText()).isEqualTo("TYPE_STRING");
        assertThat(http.get("/v2/models/nope/config").status()).isEqualTo(404);

        long before = http.get("/v2/models/" + MLP + "/stats").json().get("model_stats").get(0)
                .get("inference_stats").get("success").get("count").asLong();
        assertThat(http.post("/v2/models/" + MLP + "/infer", "{\"inputs\":[{\"name\":\"features\",\"shape\":[2,4],"
                + "\"datatype\":\"FP32\",\"data\":[1,2,3,4,1,2,3,4]}]}").status()).isEqualTo(200);
        JsonNode stat = http.get("/v2/models/" + MLP + "/versions/1/stats").json().get("model_stats").get(0);
        assertThat(stat.get("name").asText()).isEqualTo(MLP);
        assertThat(stat.get("version").asText()).isEqualTo("1");
        assertThat(stat.get("inference_stats").get("success").get("count").asLong()).isEqualTo(before + 1);
        assertThat(stat.get("inference_stats").get("success").get("ns").asLong()).isPositive();
        assertThat(stat.get("inference_count").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(stat.get("last_inference").asLong()).isPositive();
        assertThat(http.get("/v2/models/stats").json().get("model_stats").size()).isGreaterThanOrEqualTo(2);

        Http.Answer index = http.post("/v2/repository/index", "{}");
        assertThat(index.status()).as(index.body()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        index.json().forEach(e -> {
            names.add(e.get("name").asText());
            assertThat(e.get("state").asText()).isEqualTo("READY");
        });
        assertThat(names).contains(MINILM, MLP);
        assertThat(new Http(bridge.port(), null).post("/v2/repository/index", "{}").status()).isEqualTo(401);
    }

    /**
     * Triton's own gRPC calls beside the protocol's, each with the request its Python client sends: {@code
     * get_model_config(name, version)} → {@code ModelConfigRequest(name, version)} (version "" by default), {@code
     * get_model_repository_index()} → an empty {@code RepositoryIndexRequest}, {@code get_inference_statistics(name,
     * version)} → {@code ModelStatisticsRequest(name, version)} (both "" by default: every model). The answers carry
     * what HTTP's config, stats and index say.
     */
    @Test
    void grpcModelConfigStatisticsAndRepositoryIndexAsTritonsClientAsksForThem() {
        MethodDescriptor<ModelConfigRequest, ModelConfigResponse> config = GrpcClient.method("ModelConfig",
                ModelConfigRequest.getDefaultInstance(), ModelConfigResponse.getDefaultInstance());
        ModelConfig mlp = grpc.call(config, ModelConfigRequest.newBuilder().setName(MLP).setVersion("").build())
                .getConfig();
        JsonNode httpConfig = http.get("/v2/models/" + MLP + "/config").json();
        assertThat(mlp.getName()).isEqualTo(MLP);
        assertThat(mlp.getPlatform()).isEqualTo("pytorch_libtorch").isEqualTo(httpConfig.get("platform").asText());
        assertThat(mlp.getBackend()).isEqualTo("pytorch");
        assertThat(mlp.getMaxBatchSize()).isEqualTo(64);
        assertThat(mlp.getInput(0).getName()).isEqualTo("features");
        assertThat(mlp.getInput(0).getDataType()).isEqualTo(DataType.TYPE_FP32);
        assertThat(mlp.getInput(0).getDimsList()).containsExactly(4L);
        assertThat(mlp.getOutputCount()).isEqualTo(httpConfig.get("output").size());
        assertThat(mlp.getOutput(1).getDataType()).isEqualTo(DataType.TYPE_INT64);
        assertThat(mlp.getSchedulingChoiceCase()).isEqualTo(ModelConfig.SchedulingChoiceCase.DYNAMIC_BATCHING);
        assertThat(mlp.getInstanceGroup(0).getCount()).isEqualTo(httpConfig.get("instance_group").get(0)
                .get("count").asInt());
        assertThat(mlp.getInstanceGroup(0).getKind().name()).isEqualTo(httpConfig.get("instance_group").get(0)
                .get("kind").asText());
        ModelConfig minilm = grpc.call(config, ModelConfigRequest.newBuilder().setName(MINILM).setVersion("1")
                .build()).getConfig();
        assertThat(minilm.getInput(0).getDataType()).as("BYTES is Triton's TYPE_STRING")
                .isEqualTo(DataType.TYPE_STRING);
        assertThat(minilm.getInput(0).getDimsList()).as("one text per row").containsExactly(1L);
        assertThat(minilm.getInput(0).hasReshape()).isTrue();
        ModelConfig graph = grpc.call(config, ModelConfigRequest.newBuilder().setName("sotu-qa").build()).getConfig();
        assertThat(graph.getPlatform()).isEqualTo("ensemble");
        assertThat(graph.getEnsembleScheduling().getStepList()).extracting(ModelEnsembling.Step::getModelName)
                .isNotEmpty().allSatisfy(m -> assertThat(m).isNotEmpty());
        assertThat(graph.getEnsembleScheduling().getStep(0).getInputMapMap()).isNotEmpty();
        assertThat(status(() -> grpc.call(config, ModelConfigRequest.newBuilder().setName("nope").build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(status(() -> grpc.call(config, ModelConfigRequest.newBuilder().setName(MLP).setVersion("9")
                .build()))).isEqualTo(Status.Code.NOT_FOUND);

        MethodDescriptor<ModelStatisticsRequest, ModelStatisticsResponse> statistics = GrpcClient.method(
                "ModelStatistics", ModelStatisticsRequest.getDefaultInstance(),
                ModelStatisticsResponse.getDefaultInstance());
        ModelStatisticsRequest ofMlp = ModelStatisticsRequest.newBuilder().setName(MLP).setVersion("").build();
        long before = grpc.call(statistics, ofMlp).getModelStats(0).getInferenceStats().getSuccess().getCount();
        ModelInferResponse inferred = grpc.call(INFER, ModelInferRequest.newBuilder().setModelName(MLP).setId("st-1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
                        .addShape(2).addShape(4).setContents(InferTensorContents.newBuilder()
                                .addAllFp32Contents(List.of(1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f))))
                .build());
        assertThat(inferred.getId()).isEqualTo("st-1");
        ModelStatisticsResponse afterCall = grpc.call(statistics, ofMlp);
        assertThat(afterCall.getModelStatsList()).extracting(ModelStatistics::getVersion).containsExactly("1");
        ModelStatistics stat = afterCall.getModelStats(0);
        assertThat(stat.getName()).isEqualTo(MLP);
        assertThat(stat.getInferenceStats().getSuccess().getCount()).isEqualTo(before + 1);
        assertThat(stat.getInferenceStats().getSuccess().getNs()).isPositive();
        assertThat(stat.getInferenceCount()).as("rows").isGreaterThanOrEqualTo(2);
        assertThat(stat.getLastInference()).isPositive();
        assertThat(stat.getInferenceStats().getComputeInfer().getCount()).as("from the job's timing headers")
                .isPositive();
        JsonNode httpStat = http.get("/v2/models/" + MLP + "/versions/1/stats").json().get("model_stats").get(0);
        assertThat(stat.getInferenceStats().getSuccess().getCount()).as("the same counters as HTTP's")
                .isEqualTo(httpStat.get("inference_stats").get("success").get("count").asLong());
        assertThat(stat.getInferenceCount()).isEqualTo(httpStat.get("inference_count").asLong());
        ModelStatisticsResponse all = grpc.call(statistics, ModelStatisticsRequest.newBuilder().setName("")
                .setVersion("").build());
        assertThat(all.getModelStatsList()).extracting(ModelStatistics::getName).contains(MINILM, MLP, "sotu-qa");
        assertThat(status(() -> grpc.call(statistics, ModelStatisticsRequest.newBuilder().setName("nope")
                .setVersion("").build()))).isEqualTo(Status.Code.NOT_FOUND);

        MethodDescriptor<RepositoryIndexRequest, RepositoryIndexResponse> index = GrpcClient.method(
                "RepositoryIndex", RepositoryIndexRequest.getDefaultInstance(),
                RepositoryIndexResponse.getDefaultInstance());
        RepositoryIndexResponse models = grpc.call(index, RepositoryIndexRequest.newBuilder().build());
        assertThat(models.getModelsList()).extracting(RepositoryIndexResponse.ModelIndex::getName)
                .contains(MINILM, MLP, "sotu-qa");
        assertThat(models.getModelsList()).allSatisfy(m -> {
            assertThat(m.getVersion()).isEqualTo("1");
            assertThat(m.getState()).isEqualTo("READY");
            assertThat(m.getReason()).isEmpty();
        });
        assertThat(models.getModelsCount()).isEqualTo(http.post("/v2/repository/index", "{}").json().size());
        assertThat(grpc.call(index, RepositoryIndexRequest.newBuilder().setReady(true).build()).getModelsCount())
                .isEqualTo(models.getModelsCount());
        try (GrpcClient anonymous = new GrpcClient(bridge.grpcPort(), null)) {
            assertThat(status(() -> anonymous.call(index, RepositoryIndexRequest.getDefaultInstance())))
                    .isEqualTo(Status.Code.UNAUTHENTICATED);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------- many large bodies at once

    @Test
    void sixtyFourConcurrentBodiesAtTheLimitAreAllAnsweredWithinTheByteBudget() {
        int limit = 1 << 20;
        try (Bridge small = stack.startBridge(stack.bridgeYaml("oip-budget", "callbacks:\n  enabled: false\n"
                + "http:\n  host: 127.0.0.1\n  port: 0\n  max-body-bytes: " + limit + "\n  max-buffered-bytes: "
                + (8L * limit) + "\n  retry-after-seconds: 2\n"))) {
            await().atMost(WAIT).until(small::isReady);
            // A binary body of exactly the limit: 65536 rows of 4 features is more than max_batch_size, so a 400
            // once parsed, after the bridge held and read all of it.
            String head = "{\"inputs\":[{\"name\":\"features\",\"shape\":[ROWS,4],\"datatype\":\"FP32\","
                    + "\"parameters\":{\"binary_data_size\":SIZE}}]}";
            int rows = (limit - 200) / 16;
            String header = head.replace("ROWS", Integer.toString(rows)).replace("SIZE", Integer.toString(rows * 16));
            byte[] body = concat(header.getBytes(StandardCharsets.UTF_8), new byte[rows * 16]);
            body = java.util.Arrays.copyOf(body, body.length); // the same array for every caller: no client OOM
            Http h = new Http(small.port(), null);
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                calls.add(h.client.sendAsync(HttpRequest.newBuilder(URI.create(h.base + "/v2/models/" + MLP
                                + "/infer")).timeout(Duration.ofSeconds(60))
                        .header("Inference-Header-Content-Length", Integer.toString(header.length()))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            int shed = 0;
            for (CompletableFuture<HttpResponse<String>> c : calls) {
                HttpResponse<String> r = c.join();
                assertThat(r.statusCode()).as(r.body()).isIn(400, 429);
                if (r.statusCode() == 429) {
                    shed++;
                    assertThat(r.headers().firstValue("Retry-After")).contains("2");
                } else {
                    assertThat(r.body()).contains("max_batch_size");
                }
            }
            assertThat(shed).as("8 bodies fit the budget, 64 came at once").isPositive();
            assertThat(h.get("/v2/health/live").status()).isEqualTo(200);
        }
    }

    // ---------------------------------------------------------------- gRPC

    @Test
    void grpcHealthAndMetadata() {
        assertThat(grpc.call(GrpcClient.method("ServerLive", ServerLiveRequest.getDefaultInstance(),
                ServerLiveResponse.getDefaultInstance()), ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(grpc.call(GrpcClient.method("ServerReady", ServerReadyRequest.getDefaultInstance(),
                ServerReadyResponse.getDefaultInstance()), ServerReadyRequest.getDefaultInstance()).getReady())
                .isTrue();
        ServerMetadataResponse server = grpc.call(GrpcClient.method("ServerMetadata",
                ServerMetadataRequest.getDefaultInstance(), ServerMetadataResponse.getDefaultInstance()),
                ServerMetadataRequest.getDefaultInstance());
        assertThat(server.getExtensionsList()).contains("binary_tensor_data");
        MethodDescriptor<ModelReadyRequest, ModelReadyResponse> ready = GrpcClient.method("ModelReady",
                ModelReadyRequest.getDefaultInstance(), ModelReadyResponse.getDefaultInstance());
        assertThat(grpc.call(ready, ModelReadyRequest.newBuilder().setName(MINILM).build()).getReady()).isTrue();
        assertThat(status(() -> grpc.call(ready, ModelReadyRequest.newBuilder().setName("nope").build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        ModelMetadataResponse meta = grpc.call(GrpcClient.method("ModelMetadata",
                ModelMetadataRequest.getDefaultInstance(), ModelMetadataResponse.getDefaultInstance()),
                ModelMetadataRequest.newBuilder().setName(MINILM).build());
        assertThat(meta.getInputs(0).getName()).isEqualTo("text");
        assertThat(meta.getOutputs(0).getShapeList()).containsExactly(-1L, 384L);
    }

    @Test
    void grpcTypedContentsGiveTheRuntimesEmbeddings() {
        ModelInferResponse r = grpc.call(INFER, text("g-1", SENTENCES.get(1)));
        assertThat(r.getId()).isEqualTo("g-1");
        assertThat(r.getModelName()).isEqualTo(MINILM);
        assertThat(r.getRawOutputContentsCount()).as("typed in, typed out").isZero();
        float[] embedding = toArray(r.getOutputs(0).getContents().getFp32ContentsList());
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(1L, 384L);
        assertThat(Embeddings.cosine(embedding, expected.get(SENTENCES.get(1)))).isGreaterThan(0.9999);
    }

    @Test
    void grpcModelInferRunsAGraph() {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("sotu-qa").setId("gq-1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("question").setDatatype("BYTES")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFromUtf8(SENTENCES.get(1)))))
                .build();
        ModelInferResponse r = grpc.call(INFER, request);
        assertThat(r.getModelName()).isEqualTo("sotu-qa");
        assertThat(r.getId()).isEqualTo("gq-1");
        assertThat(r.getOutputsList()).extracting(o -> o.getName()).contains("indices", "scores");
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(1L, 5L);
        ModelMetadataResponse meta = grpc.call(GrpcClient.method("ModelMetadata",
                ModelMetadataRequest.getDefaultInstance(), ModelMetadataResponse.getDefaultInstance()),
                ModelMetadataRequest.newBuilder().setName("sotu-qa").build());
        assertThat(meta.getPlatform()).isEqualTo("ensemble");
        assertThat(meta.getInputs(0).getName()).isEqualTo("question");
    }

    @Test
    void grpcRawInputContentsGiveRawOutputContents() {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName(MLP).setId("raw-1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
                        .addShape(1).addShape(4))
                .addRawInputContents(ByteString.copyFrom(floats(FEATURES))).build();
        ModelInferResponse r = grpc.call(INFER, request);
        assertThat(r.getRawOutputContentsCount()).isEqualTo(2);
        assertThat(r.getOutputs(0).getName()).isEqualTo("logits");
        ByteBuffer logits = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] got = new float[3];
        logits.asFloatBuffer().get(got);
        assertThat(got).containsExactly(expectedLogits, ROUNDING);
        assertThat(r.getRawOutputContents(1).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong())
                .isZero();
    }

    @Test
    void twoHundredConcurrentGrpcCallsSharingOneIdEachGetTheirOwnAnswer() throws Exception {
        List<com.google.common.util.concurrent.ListenableFuture<ModelInferResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add(grpc.future(INFER, text("same-id", SENTENCES.get(i % SENTENCES.size()))));
        }
        for (int i = 0; i < 200; i++) {
            ModelInferResponse r = calls.get(i).get();
            assertThat(r.getId()).isEqualTo("same-id");
            float[] embedding = toArray(r.getOutputs(0).getContents().getFp32ContentsList());
            assertThat(Embeddings.cosine(embedding, expected.get(SENTENCES.get(i % SENTENCES.size()))))
                    .as("call %d got its own sentence's embedding", i).isGreaterThan(0.9999);
        }
    }

    @Test
    void grpcErrorsMapToStatusCodes() throws Exception {
        ModelInferRequest wrongInput = ModelInferRequest.newBuilder(text("e", "hi")).setInputs(0,
                ModelInferRequest.InferInputTensor.newBuilder(text("e", "hi").getInputs(0)).setName("texts")).build();
        StatusRuntimeException invalid = catchThrowableOfType(StatusRuntimeException.class,
                () -> grpc.call(INFER, wrongInput));
        assertThat(invalid.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(invalid.getStatus().getDescription()).contains("texts");
        assertThat(status(() -> grpc.call(INFER, ModelInferRequest.newBuilder(text("e", "hi"))
                .setModelName("no-such-model").build()))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(status(() -> grpc.call(INFER, ModelInferRequest.newBuilder(text("e", "hi"))
                .setModelVersion("7").build()))).isEqualTo(Status.Code.NOT_FOUND);

        try (GrpcClient anonymous = new GrpcClient(bridge.grpcPort(), null);
                GrpcClient wrong = new GrpcClient(bridge.grpcPort(), "wrong-token-0123456789")) {
            assertThat(status(() -> anonymous.call(INFER, text("a", "hi")))).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(status(() -> wrong.call(INFER, text("a", "hi")))).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(anonymous.call(GrpcClient.method("ServerLive", ServerLiveRequest.getDefaultInstance(),
                    ServerLiveResponse.getDefaultInstance()), ServerLiveRequest.getDefaultInstance()).getLive())
                    .as("health stays open").isTrue();
        }

        // The server's own deadline: OIP parameters.timeout of 1 ms (the client's deadline is far).
        ModelInferRequest hurried = ModelInferRequest.newBuilder(text("d", SENTENCES.get(2)))
                .putParameters("timeout", InferParameter.newBuilder().setInt64Param(1_000).build()).build();
        try {
            grpc.call(INFER, hurried);
        } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(e.getStatus().getDescription()).contains("/v1/jobs/");
        }
        // The caller's gRPC deadline bounds the wait the same way.
        assertThat(status(() -> grpc.call(INFER, text("d2", SENTENCES.get(2)), 1)))
                .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }

    @Test
    void grpcUnavailableWhenNotReadyAndResourceExhaustedWhenShed() throws Exception {
        BridgeStack idle = new BridgeStack(kafka, "oip-idle");
        try (Bridge notReady = idle.startBridge(idle.bridgeYaml("oip-idle-1", "callbacks:\n  enabled: false\n")
                .replace("readiness:\n  check-interval-ms: 200\n",
                        "readiness:\n  check-interval-ms: 200\n  job-gone-grace-ms: 0\n"));
                GrpcClient c = new GrpcClient(notReady.grpcPort(), null)) {
            await().atMost(WAIT).until(() -> notReady.notReadyReason() != null
                    && notReady.notReadyReason().contains("committed no offsets"));
            assertThat(status(() -> c.call(INFER, text("n", "hi")))).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(c.call(GrpcClient.method("ServerReady", ServerReadyRequest.getDefaultInstance(),
                    ServerReadyResponse.getDefaultInstance()), ServerReadyRequest.getDefaultInstance()).getReady())
                    .isFalse();
        }
        String lenient = idle.bridgeYaml("oip-idle-2", "callbacks:\n  enabled: false\n"
                + "http:\n  host: 127.0.0.1\n  port: 0\n  max-in-flight: 1\n")
                .replace("readiness:\n  check-interval-ms: 200\n",
                        "readiness:\n  check-interval-ms: 200\n  require-job: false\n");
        try (Bridge noJob = idle.startBridge(lenient); GrpcClient c = new GrpcClient(noJob.grpcPort(), null)) {
            await().atMost(WAIT).until(noJob::isReady);
            var waiting = c.channel.newCall(INFER, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(3,
                    java.util.concurrent.TimeUnit.SECONDS));
            var first = io.grpc.stub.ClientCalls.futureUnaryCall(waiting, text("w", "hi"));
            await().atMost(WAIT).until(() -> status(() -> c.call(INFER, text("s", "hi")))
                    == Status.Code.RESOURCE_EXHAUSTED);
            Throwable timedOut = catchThrowableOfType(java.util.concurrent.ExecutionException.class, first::get)
                    .getCause();
            assertThat(((StatusRuntimeException) timedOut).getStatus().getCode())
                    .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static ModelInferRequest text(String id, String sentence) {
        return ModelInferRequest.newBuilder().setModelName(MINILM).setId(id)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFromUtf8(sentence))))
                .build();
    }

    private static Status.Code status(Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        return e == null ? Status.Code.OK : e.getStatus().getCode();
    }

    private static float[] toArray(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static Tensor sample(Datatype d) {
        long[] shape = {1, 4};
        switch (d.storage()) {
            case BOOL:
                return new Tensor("features", d, shape, new boolean[] {true, false, true, false});
            case LONG:
                return new Tensor("features", d, shape, new long[] {1, 2, 3, 4});
            case FLOAT:
                return new Tensor("features", d, shape, new float[] {1, 2, 3, 4});
            case DOUBLE:
                return new Tensor("features", d, shape, new double[] {1, 2, 3, 4});
            default:
                return new Tensor("features", d, shape, new String[] {"a", "b", "c", "d"});
        }
    }

    /** A binary-framed answer. */
    record Binary(int status, byte[] body, int headerLength) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private static Binary postBinary(String path, String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return send(path, concat(h, data), data.length == 0 ? -1 : h.length);
    }

    private static Binary send(String path, byte[] body, int headerLength) {
        HttpRequest.Builder b = http.request(path).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headerLength >= 0) {
            b.header("Inference-Header-Content-Length", Integer.toString(headerLength));
        }
        try {
            HttpResponse<byte[]> r = http.client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            int length = r.headers().firstValue("Inference-Header-Content-Length").map(Integer::parseInt)
                    .orElse(r.body().length);
            return new Binary(r.statusCode(), r.body(), length);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
