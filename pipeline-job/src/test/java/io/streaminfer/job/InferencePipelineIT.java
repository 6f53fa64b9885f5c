package io.streaminfer.job;

import io.streaminfer.job.testing.TopicCollector;
import io.streaminfer.job.testing.Embeddings;
import static io.streaminfer.job.PipelineHarness.features;
import static io.streaminfer.job.PipelineHarness.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.job.testing.SyntheticText;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The job end to end on real parts: an in-process KRaft broker, a Flink MiniCluster with the RocksDB backend, and the
 * real TorchScript models run by DJL/libtorch. One job serves every test; each test uses its own request IDs.
 */
class InferencePipelineIT {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(InferencePipelineIT.class);
    static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension
    static final MiniClusterExtension FLINK = PipelineHarness.miniCluster();

    static EmbeddedKafka kafka;
    static PipelineHarness pipeline;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        // A small size limit so an oversize request is cheap to make; a short timeout is not needed here.
        pipeline = new PipelineHarness(kafka, c -> c.limits.maxRequestBytes = 65536);
        pipeline.startJob();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void thousandRequestsGetThousandResultsWithTheRuntimesEmbeddings() throws Exception {
        SyntheticText gen = new SyntheticText(7);
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sentences.add(gen.sentence(5 + i % 12));
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String id = "bulk-" + i;
            ids.add(id);
            pipeline.send(id, "all-minilm-l6-v2", text(id, sentences.get(i % sentences.size())));
        }
        pipeline.flush();
        await().atMost(WAIT).until(() -> pipeline.results.countPresent(ids) == ids.size());

        Map<String, float[]> expected = Embeddings.reference("all-minilm-l6-v2", sentences);
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            ConsumerRecord<byte[], byte[]> r = pipeline.results.get(id).get(0);
            InferenceResponse response = OipJson.parseResponse(r.value());
            assertThat(response.id()).isEqualTo(id);
            assertThat(response.modelName()).isEqualTo("all-minilm-l6-v2");
            assertThat(TopicCollector.header(r, KafkaContract.HEADER_MODEL)).isEqualTo("all-minilm-l6-v2");
            float[] embedding = response.output("embedding").floats();
            assertThat(Embeddings.cosine(embedding, expected.get(sentences.get(i % sentences.size()))))
                    .as("embedding of %s", id).isGreaterThan(0.9999);
        }
        await().atMost(WAIT).until(() -> ids.stream().allMatch(id -> pipeline.finalStatuses(id).size() == 1));
        for (String id : ids) {
            assertThat(pipeline.finalStatuses(id)).singleElement()
                    .satisfies(s -> assertThat(s.state()).isEqualTo(RequestState.SUCCEEDED));
        }
        for (String id : ids) {
            // In order on the compacted topic: ACCEPTED, then the final state last (compaction keeps the last).
            assertThat(pipeline.statuses(id)).extracting(StatusRecord::state)
                    .containsExactly(RequestState.ACCEPTED, RequestState.SUCCEEDED);
        }
    }

    /**
     * A burst of 3,000 real texts of long-tailed lengths (2 to 875 words, deploy/data), one per request, produced at
     * once: no request has a deadline, so none may fail for waiting; the backlog stays in Kafka and is worked off.
     */
    @Test
    void aBurstOfThreeThousandRealTextsAllSucceed() {
        List<String> texts = RealTexts.load(java.nio.file.Path.of(System.getProperty("streaminfer.models.dir")))
                .subList(0, 3000);
        List<String> ids = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < texts.size(); i++) {
            String id = "burst-" + i;
            ids.add(id);
            pipeline.send(id, "all-minilm-l6-v2", new String(RealTexts.request(id, texts.get(i)),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        pipeline.flush();
        await().atMost(Duration.ofMinutes(10)).until(() -> pipeline.results.countPresent(ids) == ids.size()
                && ids.stream().allMatch(id -> !pipeline.finalStatuses(id).isEmpty()));
        LOG.info("3000 real texts through the job in {} ms", (System.nanoTime() - start) / 1_000_000);

        List<String> notSucceeded = ids.stream().filter(id -> pipeline.finalStatuses(id).size() != 1
                || pipeline.finalStatuses(id).get(0).state() != RequestState.SUCCEEDED).toList();
        assertThat(notSucceeded).as("requests without exactly one final SUCCEEDED (first: %s)",
                notSucceeded.isEmpty() ? "" : pipeline.statuses(notSucceeded.get(0))).isEmpty();
        List<String> sample = new ArrayList<>();
        for (int i = 0; i < texts.size(); i += 97) {
            sample.add(texts.get(i));
        }
        Map<String, float[]> expected = Embeddings.reference("all-minilm-l6-v2", sample);
        for (int i = 0; i < texts.size(); i += 97) {
            byte[] value = pipeline.results.get(ids.get(i)).get(0).value();
            float[] embedding = OipJson.parseResponse(value).output("embedding").floats();
            assertThat(Embeddings.cosine(embedding, expected.get(texts.get(i)))).as("embedding of text %d", i)
                    .isGreaterThan(0.9999);
        }
    }

    @Test
    void poisonousRequestInABusyBatchFailsAloneAndTheRestSucceed() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String id = "mix-" + i;
            ids.add(id);
            boolean poison = i == 17;
            pipeline.send(id, "tiny-mlp", features(id, i, 1, poison ? -5000 : 2, 3));
        }
        pipeline.flush();
        await().atMost(WAIT).until(() -> pipeline.results.countPresent(ids) == ids.size());
        for (String id : ids) {
            byte[] value = pipeline.results.get(id).get(0).value();
            if (id.equals("mix-17")) {
                assertThat(OipJson.isError(value)).isTrue();
                assertThat(new String(value)).contains("poison").contains("MODEL_ERROR");
            } else {
                assertThat(OipJson.isError(value)).as("%s: %s", id, new String(value)).isFalse();
            }
        }
        await().atMost(WAIT).until(() -> pipeline.finalStatuses("mix-17").size() == 1);
        assertThat(pipeline.finalStatuses("mix-17").get(0).errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
    }

    @Test
    void badInputGoesToTheDeadLetterTopicWithItsReasonWhileGoodTrafficFlows() {
        Map<String, String[]> bad = new HashMap<>(); // id -> {model, body, expected code, expected reason part}
        bad.put("bad-json", new String[] {"tiny-mlp", "{\"inputs\": [", "MALFORMED_REQUEST", "malformed JSON"});
        bad.put("bad-model", new String[] {"no-such-model", features("bad-model", 1, 2, 3, 4), "UNKNOWN_MODEL",
            "unknown model 'no-such-model'"});
        bad.put("bad-shape", new String[] {"tiny-mlp", "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\","
            + "\"shape\":[1,3],\"data\":[1,2,3]}]}", "INVALID_INPUT", "must have shape [-1, 4]"});
        bad.put("bad-type", new String[] {"tiny-mlp", "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"INT64\","
            + "\"shape\":[1,4],\"data\":[1,2,3,4]}]}", "INVALID_INPUT", "must be FP32, got INT64"});
        bad.put("bad-size", new String[] {"all-minilm-l6-v2", text("bad-size", "x".repeat(70_000)),
            "PAYLOAD_TOO_LARGE", "larger than the limit of 65536 bytes"});
        bad.put("bad-header", new String[] {null, features("bad-header", 1, 2, 3, 4), "MALFORMED_REQUEST",
            "missing header 'model'"});
        List<String> good = new ArrayList<>();
        int n = 0;
        for (Map.Entry<String, String[]> e : bad.entrySet()) {
            pipeline.send(e.getKey(), e.getValue()[0], e.getValue()[1]);
            String id = "good-" + n++;
            good.add(id);
            pipeline.send(id, "tiny-mlp", features(id, 1, 2, 3, 4));
        }
        pipeline.flush();
        List<String> badIds = new ArrayList<>(bad.keySet());
        await().atMost(WAIT).until(() -> pipeline.deadLetters.countPresent(badIds) == badIds.size()
                && pipeline.results.countPresent(good) == good.size()
                && badIds.stream().allMatch(id -> pipeline.finalStatuses(id).size() == 1));
        for (String id : badIds) {
            String[] want = bad.get(id);
            ConsumerRecord<byte[], byte[]> dlq = pipeline.deadLetters.get(id).get(0);
            assertThat(TopicCollector.header(dlq, KafkaContract.HEADER_ERROR_CODE)).as(id).isEqualTo(want[2]);
            assertThat(TopicCollector.header(dlq, KafkaContract.HEADER_ERROR_REASON)).as(id).contains(want[3]);
            assertThat(new String(dlq.value())).as("the original bytes, unchanged").isEqualTo(want[1]);
            StatusRecord status = pipeline.finalStatuses(id).get(0);
            assertThat(status.state()).isEqualTo(RequestState.FAILED);
            assertThat(status.errorCode().name()).isEqualTo(want[2]);
            assertThat(status.reason()).contains(want[3]);
            byte[] result = pipeline.results.get(id).get(0).value();
            assertThat(OipJson.isError(result)).isTrue();
            assertThat(new String(result)).contains(want[2]);
        }
        for (String id : good) {
            assertThat(OipJson.isError(pipeline.results.get(id).get(0).value())).isFalse();
        }
    }

    @Test
    void duplicateIdIsAnsweredFromStateWithoutRunningTheModelAgain() {
        pipeline.send("dup-1", "all-minilm-l6-v2", text("dup-1", "The first text."));
        pipeline.flush();
        await().atMost(WAIT).until(() -> pipeline.finalStatuses("dup-1").size() == 1);
        await().atMost(WAIT).until(() -> pipeline.results.get("dup-1").size() == 1);
        // Same ID, other text: an idempotency key, so the stored result comes back, not a new embedding.
        pipeline.send("dup-1", "all-minilm-l6-v2", text("dup-1", "Something else entirely."));
        pipeline.flush();
        await().atMost(WAIT).until(() -> pipeline.results.get("dup-1").size() == 2);
        List<ConsumerRecord<byte[], byte[]>> results = pipeline.results.get("dup-1");
        assertThat(results.get(1).value()).isEqualTo(results.get(0).value());
        assertThat(pipeline.finalStatuses("dup-1")).hasSize(1);
    }

    /**
     * A client that retries through another bridge replica while its request still runs: the retry (same ID, its
     * own reply route) is not run again, and both routes get the one result.
     */
    @Test
    void duplicateWhileRunningIsAnsweredOnItsOwnRoute() {
        // Ten long texts, the last of them the one retried: it is still queued or running when its retry arrives.
        List<String> texts = RealTexts.load(java.nio.file.Path.of(System.getProperty("streaminfer.models.dir")));
        String longest = texts.stream().max(java.util.Comparator.comparingInt(String::length)).orElseThrow();
        for (int i = 0; i < 9; i++) {
            pipeline.send("dup-run-pad-" + i, "all-minilm-l6-v2", text("dup-run-pad-" + i, longest));
        }
        pipeline.send("dup-run-1", "all-minilm-l6-v2", text("dup-run-1", longest),
                KafkaContract.HEADER_REPLY_TO, "replica-a");
        pipeline.send("dup-run-1", "all-minilm-l6-v2", text("dup-run-1", "A retry with other text."),
                KafkaContract.HEADER_REPLY_TO, "replica-b");
        pipeline.flush();
        await().atMost(WAIT).until(() -> pipeline.results.get("dup-run-1").size() >= 2);
        List<ConsumerRecord<byte[], byte[]>> results = pipeline.results.get("dup-run-1");
        assertThat(results).extracting(r -> TopicCollector.header(r, KafkaContract.HEADER_REPLY_TO))
                .containsExactlyInAnyOrder("replica-a", "replica-b");
        assertThat(results.get(1).value()).isEqualTo(results.get(0).value());
        assertThat(OipJson.isError(results.get(0).value())).isFalse();
        await().atMost(WAIT).until(() -> pipeline.finalStatuses("dup-run-1").size() == 1);
        assertThat(pipeline.finalStatuses("dup-run-1")).singleElement()
                .satisfies(s -> assertThat(s.state()).isEqualTo(RequestState.SUCCEEDED));
    }

    @Test
    void requestPastItsDeadlineExpiresWithoutRunning() {
        long past = System.currentTimeMillis() - 60_000;
        pipeline.send("late-1", "tiny-mlp", "{\"id\":\"late-1\",\"parameters\":{\"deadline_ms\":" + past + "},"
                + "\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}");
        pipeline.send("late-2", "tiny-mlp", features("late-2", 1, 2, 3, 4), KafkaContract.HEADER_DEADLINE,
                Long.toString(past));
        pipeline.flush();
        for (String id : List.of("late-1", "late-2")) {
            // Status and result leave through different sinks: wait for both.
            await().atMost(WAIT).until(() -> pipeline.finalStatuses(id).size() == 1
                    && !pipeline.results.get(id).isEmpty());
            StatusRecord s = pipeline.finalStatuses(id).get(0);
            assertThat(s.state()).isEqualTo(RequestState.EXPIRED);
            assertThat(s.errorCode()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
            assertThat(new String(pipeline.results.get(id).get(0).value())).contains("deadline");
        }
    }

}
