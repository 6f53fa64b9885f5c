package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.bridge.grpc.proto.InferTensorContents;
import io.streaminfer.bridge.grpc.proto.ModelInferRequest;
import io.streaminfer.bridge.grpc.proto.ModelInferResponse;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.TraceContext;
import io.streaminfer.e2e.OtlpReceiver.ReceivedSpan;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One request followed across every hop on real parts (an in-process Kafka broker, the pipeline job on a Flink
 * MiniCluster with the real models, a bridge replica), with tracing on in the job and the bridge, exporting over OTLP
 * (http/protobuf) to a receiver in the test. The sampler ratio is 0: only requests that bring a sampled {@code
 * traceparent} are traced, so every span received belongs to a trace the test started. Asserts trace IDs, parentage
 * and links, never timings.
 */
class TracingIT {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final String GRAPH = "sotu-qa";
    private static final String GENERATIVE = "sotu-gpt";
    private static final String PREFIX = "trace-e2e";
    private static final Duration WAIT = Duration.ofSeconds(120);

    static OtlpReceiver receiver;
    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        // The SDK's batch processor exports every 5 s by default: sooner, so the test waits less.
        System.setProperty("otel.bsp.schedule.delay", "100");
        receiver = new OtlpReceiver();
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, PREFIX).startJob(c -> {
            c.models.serve = List.of(MODEL, GRAPH, GENERATIVE);
            c.tracing.enabled = true;
            c.tracing.samplerRatio = 0;
            c.tracing.endpoint = receiver.endpoint();
        });
        bridge = stack.startBridge(stack.bridgeYaml("trace-a", "callbacks:\n  enabled: false\n"
                + "tracing:\n  enabled: true\n  sampler-ratio: 0\n  endpoint: " + receiver.endpoint() + "\n"));
        http = new Http(bridge.port(), null);
        await().atMost(WAIT).until(bridge::isReady);
    }

    @AfterAll
    static void stop() throws Exception {
        BridgeStack.closeAll(bridge, stack, kafka, receiver);
        System.clearProperty("otel.bsp.schedule.delay");
    }

    /** A caller's sampled context: a fresh trace ID and the caller's span ID. */
    record Caller(String traceId, String spanId) {
        static Caller fresh() {
            byte[] t = new byte[16];
            byte[] s = new byte[8];
            ThreadLocalRandom.current().nextBytes(t);
            ThreadLocalRandom.current().nextBytes(s);
            t[0] |= 1; // never all zero
            s[0] |= 1;
            return new Caller(HexFormat.of().formatHex(t), HexFormat.of().formatHex(s));
        }

        String traceparent(boolean sampled) {
            return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
        }
    }

    /** The trace's spans once it has one of each name. */
    static List<ReceivedSpan> awaitSpans(String traceId, String... names) {
        await().atMost(WAIT).until(() -> receiver.trace(traceId).stream().map(ReceivedSpan::name)
                .collect(Collectors.toSet()).containsAll(Arrays.asList(names)));
        return receiver.trace(traceId);
    }

    static ReceivedSpan one(List<ReceivedSpan> spans, String name) {
        List<ReceivedSpan> named = spans.stream().filter(s -> s.name().equals(name)).toList();
        assertThat(named).as("spans named '%s'", name).hasSize(1);
        return named.get(0);
    }

    @Test
    void aSyncCallHasASpanOfItsTraceForEveryHopAndAnUnsampledOneNone() {
        Caller unsampled = Caller.fresh();
        assertThat(http.post("/v2/models/" + MODEL + "/infer", Http.text("u-1", "A man is eating food."),
                "traceparent", unsampled.traceparent(false)).status()).isEqualTo(200);
        Caller caller = Caller.fresh();
        Http.Answer r = http.post("/v2/models/" + MODEL + "/infer", Http.text("t-1", "A man is eating food."),
                "traceparent", caller.traceparent(true), "tracestate", "vendor=abc");
        assertThat(r.status()).as(r.body()).isEqualTo(200);

        List<ReceivedSpan> spans = awaitSpans(caller.traceId(), "infer " + MODEL, "send " + PREFIX + ".requests",
                "process " + PREFIX + ".requests", "admit " + MODEL, "queue " + MODEL, "publish " + MODEL,
                "process " + PREFIX + ".results");
        ReceivedSpan call = one(spans, "infer " + MODEL);
        assertThat(call.kind()).isEqualTo("SPAN_KIND_SERVER");
        assertThat(call.service()).isEqualTo("streaminfer-bridge");
        assertThat(call.parentSpanId()).as("the caller's span is the call's parent").isEqualTo(caller.spanId());
        ReceivedSpan send = one(spans, "send " + PREFIX + ".requests");
        assertThat(send.kind()).isEqualTo("SPAN_KIND_PRODUCER");
        assertThat(send.parentSpanId()).isEqualTo(call.spanId());
        assertThat(send.attributes()).containsEntry("messaging.system", "kafka")
                .containsEntry("messaging.destination.name", PREFIX + ".requests");
        ReceivedSpan process = one(spans, "process " + PREFIX + ".requests");
        assertThat(process.service()).isEqualTo("streaminfer-job");
        assertThat(process.kind()).isEqualTo("SPAN_KIND_CONSUMER");
        assertThat(process.parentSpanId()).as("the job continues from the bridge's send").isEqualTo(send.spanId());
        assertThat(one(spans, "queue " + MODEL).parentSpanId()).isEqualTo(process.spanId());
        assertThat(one(spans, "admit " + MODEL).attributes()).containsEntry("streaminfer.admission", "admitted");
        assertThat(one(spans, "admit " + MODEL).parentSpanId()).isEqualTo(process.spanId());
        ReceivedSpan publish = one(spans, "publish " + MODEL);
        assertThat(publish.kind()).isEqualTo("SPAN_KIND_PRODUCER");
        assertThat(publish.parentSpanId()).isEqualTo(process.spanId());
        ReceivedSpan reply = one(spans, "process " + PREFIX + ".results");
        assertThat(reply.parentSpanId()).isEqualTo(call.spanId());
        assertThat(reply.linkIds()).as("the reply links the job's publish").containsExactly(caller.traceId() + "-"
                + publish.spanId());

        String processed = caller.traceId() + "-" + process.spanId();
        await().atMost(WAIT).until(() -> receiver.spans().stream()
                .anyMatch(s -> s.name().equals("batch " + MODEL) && s.linkIds().contains(processed)));
        assertThat(receiver.trace(unsampled.traceId())).as("an unsampled caller's trace is not recorded").isEmpty();
    }

    @Test
    void anAsyncJobShowsItsTraceIdInItsViewAndTheConsole() {
        Caller caller = Caller.fresh();
        Http.Answer submitted = http.post("/v1/jobs/" + MODEL, Http.text("j-1", "A man is eating food."),
                "traceparent", caller.traceparent(true));
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
        String job = submitted.json().get("job_id").asText();
        await().atMost(WAIT).until(() -> "SUCCEEDED".equals(http.get("/v1/jobs/" + job).json().path("state")
                .asText()));
        assertThat(http.get("/v1/jobs/" + job).json().path("trace_id").asText()).isEqualTo(caller.traceId());
        JsonNode listed = http.get("/console/api/jobs?limit=200").json().path("jobs");
        assertThat(listed.findValuesAsText("trace_id")).as("the console links the job to its trace")
                .contains(caller.traceId());
    }

    @Test
    void aGrpcCallContinuesTheTraceOfItsMetadata() throws Exception {
        Caller caller = Caller.fresh();
        try (GrpcClient grpc = new GrpcClient(bridge.grpcPort(), null,
                Map.of("traceparent", caller.traceparent(true)))) {
            ModelInferResponse answer = grpc.call(GrpcClient.method("ModelInfer",
                    ModelInferRequest.getDefaultInstance(), ModelInferResponse.getDefaultInstance()),
                    ModelInferRequest.newBuilder().setModelName(MODEL).setId("grpc-1")
                            .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text")
                                    .setDatatype("BYTES").addShape(1).setContents(InferTensorContents.newBuilder()
                                            .addBytesContents(ByteString.copyFromUtf8("A man is eating food."))))
                            .build());
            assertThat(answer.getId()).isEqualTo("grpc-1");
        }
        List<ReceivedSpan> spans = awaitSpans(caller.traceId(), "infer " + MODEL, "process " + PREFIX + ".requests",
                "publish " + MODEL);
        assertThat(one(spans, "infer " + MODEL).parentSpanId()).isEqualTo(caller.spanId());
    }

    @Test
    void eachModelCallIsOneSpanLinkedToEveryRequestItCarried() {
        List<Caller> callers = new ArrayList<>();
        List<CompletableFuture<Http.Answer>> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Caller c = Caller.fresh();
            callers.add(c);
            answers.add(http.postAsync("/v2/models/" + MODEL + "/infer", Http.text("b-" + i, "Sentence " + i),
                    "traceparent", c.traceparent(true)));
        }
        answers.forEach(a -> assertThat(a.join().status()).isEqualTo(200));
        Set<String> ours = callers.stream().map(Caller::traceId).collect(Collectors.toSet());
        await().atMost(WAIT).until(() -> linkedTraces("batch " + MODEL).containsAll(ours));

        for (ReceivedSpan batch : receiver.spans()) {
            if (!batch.name().equals("batch " + MODEL)
                    || batch.links().stream().noneMatch(l -> ours.contains(l[0]))) {
                continue;
            }
            assertThat(batch.parentSpanId()).as("a model call is a root of its own, not a child of one request")
                    .isEmpty();
            assertThat(batch.links()).as("a link per request the call carried (every request here is traced)")
                    .hasSize(Integer.parseInt(batch.attributes().get("streaminfer.batch.requests")));
            for (String[] link : batch.links()) {
                ReceivedSpan process = one(awaitSpans(link[0], "process " + PREFIX + ".requests"),
                        "process " + PREFIX + ".requests");
                assertThat(link[1]).as("the link names the request's span in the job").isEqualTo(process.spanId());
            }
        }
    }

    private static Set<String> linkedTraces(String name) {
        return receiver.spans().stream().filter(s -> s.name().equals(name))
                .flatMap(s -> s.links().stream().map(l -> l[0])).collect(Collectors.toSet());
    }

    @Test
    void aRequestProducedToKafkaWithATraceparentIsTracedAndItsResultContinuesTheTrace() {
        Caller caller = Caller.fresh();
        RecordHeaders headers = new RecordHeaders();
        headers.add(KafkaContract.HEADER_MODEL, MODEL.getBytes(StandardCharsets.UTF_8));
        headers.add(KafkaContract.HEADER_TRACEPARENT, caller.traceparent(true).getBytes(StandardCharsets.UTF_8));
        kafka.producer().send(new ProducerRecord<>(PREFIX + ".requests", null, "kafka-1".getBytes(
                StandardCharsets.UTF_8), Http.text("kafka-1", "A monkey is playing drums.").getBytes(
                StandardCharsets.UTF_8), headers));

        List<ReceivedSpan> spans = awaitSpans(caller.traceId(), "process " + PREFIX + ".requests",
                "queue " + MODEL, "publish " + MODEL);
        ReceivedSpan process = one(spans, "process " + PREFIX + ".requests");
        assertThat(process.parentSpanId()).as("the producer's context is the parent").isEqualTo(caller.spanId());
        assertThat(process.attributes()).containsEntry("messaging.kafka.message.key", "kafka-1");
        ReceivedSpan publish = one(spans, "publish " + MODEL);

        ConsumerRecord<byte[], byte[]> result = await().atMost(WAIT).until(() -> kafka.readAll(PREFIX + ".results",
                Duration.ofSeconds(2)).stream().filter(c -> "kafka-1".equals(new String(c.key(),
                StandardCharsets.UTF_8))).findFirst().orElse(null), java.util.Objects::nonNull);
        Header h = result.headers().lastHeader(KafkaContract.HEADER_TRACEPARENT);
        assertThat(h).as("the result record carries the trace").isNotNull();
        TraceContext continued = TraceContext.parse(new String(h.value(), StandardCharsets.UTF_8), null);
        assertThat(continued.traceId()).isEqualTo(caller.traceId());
        assertThat(continued.parentId()).as("a consumer continues from the job's publish").isEqualTo(
                publish.spanId());
        assertThat(continued.sampled()).isTrue();
    }

    @Test
    void aGraphRequestHasASpanPerStepItRan() throws Exception {
        Caller caller = Caller.fresh();
        String question = new String(OipJson.writeRequest(new io.streaminfer.contract.InferenceRequest("g-1",
                List.of(io.streaminfer.contract.Tensor.ofStrings("question",
                        "Where can I buy a cheap bicycle helmet for my kid?")))), StandardCharsets.UTF_8);
        Http.Answer r = http.post("/v2/models/" + GRAPH + "/infer", question, "traceparent",
                caller.traceparent(true));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode parameters = r.json().get("parameters");
        Set<String> ran = new TreeSet<>(Arrays.asList(parameters.get("steps_run").asText().split(",")));
        assertThat(ran).contains("embed", "lookup");

        String[] stepSpans = ran.stream().map(s -> "step " + GRAPH + "/" + s).toArray(String[]::new);
        List<ReceivedSpan> spans = awaitSpans(caller.traceId(), stepSpans);
        ReceivedSpan process = one(spans, "process " + PREFIX + ".requests");
        Set<String> steps = new TreeSet<>();
        for (ReceivedSpan s : spans) {
            if (s.name().startsWith("step ")) {
                assertThat(s.parentSpanId()).as(s.name()).isEqualTo(process.spanId());
                steps.add(s.attributes().get("streaminfer.graph.step"));
            }
        }
        assertThat(steps).as("one span per step that ran, none for a skipped one").isEqualTo(ran);
    }

    @Test
    void aGenerationHasQueuePrefillAndDecodeSpans() {
        Caller caller = Caller.fresh();
        Http.Answer r = http.post("/v2/models/" + GENERATIVE + "/generate",
                "{\"text_input\":\"The nation\",\"parameters\":{\"max_tokens\":6,\"temperature\":0}}",
                "traceparent", caller.traceparent(true));
        assertThat(r.status()).as(r.body()).isEqualTo(200);

        List<ReceivedSpan> spans = awaitSpans(caller.traceId(), "process " + PREFIX + ".requests",
                "queue " + GENERATIVE, "prefill " + GENERATIVE, "decode " + GENERATIVE, "publish " + GENERATIVE);
        String process = one(spans, "process " + PREFIX + ".requests").spanId();
        for (String name : List.of("queue ", "prefill ", "decode ", "publish ")) {
            assertThat(one(spans, name + GENERATIVE).parentSpanId()).as(name).isEqualTo(process);
        }
        assertThat(one(spans, "decode " + GENERATIVE).attributes())
                .containsKey("streaminfer.generation.completion_tokens");
    }
}
