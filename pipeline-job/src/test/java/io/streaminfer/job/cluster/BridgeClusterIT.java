package io.streaminfer.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.contract.OipJson;
import io.streaminfer.e2e.BridgeStack;
import io.streaminfer.e2e.Http;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.Embeddings;
import io.streaminfer.job.tools.FlinkRestClient;
import io.streaminfer.job.tools.batch.BatchApiClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole product on real processes: the shaded job jar on the multi-process Flink cluster (a JobManager and two
 * TaskManager JVMs, submitted the way deploy/submit does it), the bridge in this JVM, one real broker (in this JVM)
 * with the bridge's five topics. Sync callers (several sharing one OIP {@code id} on purpose) and async jobs are in
 * flight while a TaskManager is killed with {@code kill -9}, and then while the broker stops and comes back. Every
 * sync caller gets its own result, or a 504 whose job ID later yields its own result, or a 503 — never another
 * caller's result; every async job accepted ends SUCCEEDED with its own result; a Batch API batch running through
 * the kill completes with every line exactly once in its output file.
 */
class BridgeClusterIT {
    private static final Logger LOG = LoggerFactory.getLogger(BridgeClusterIT.class);
    private static final String MODEL = InferenceTraffic.MODEL;
    private static final String PREFIX = "bridgecluster";
    private static final int PARALLELISM = 2;
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final String SYNC_TIMEOUT_MS = "20000";
    private static final int BATCH_LINES = 600;
    private static final List<String> SENTENCES = List.of(
            "A man is eating food.",
            "A woman is reading the newspaper.",
            "The child plays with a red ball.",
            "An old dog sleeps in the sun.",
            "The pilot is carrying a small boat.",
            "A chef is painting the kitchen wall.");

    static LocalFlinkCluster cluster;
    static EmbeddedKafka kafka;
    static Map<String, float[]> expected;

    /** One sync caller: the OIP id and sentence it sent, and what it got. */
    private record Call(String id, String sentence, CompletableFuture<Http.Answer> answer) {}

    /** One async job submission: the sentence it carries, and the bridge's answer (202 with a job ID, or 503). */
    private record AsyncJob(String sentence, CompletableFuture<Http.Answer> answer) {}

    @BeforeAll
    static void start() throws Exception {
        // Broker, reference embeddings and cluster at once: each takes seconds, and most of it is waiting.
        CompletableFuture<EmbeddedKafka> broker = CompletableFuture.supplyAsync(EmbeddedKafka::start,
                r -> new Thread(r, "start-kafka").start());
        CompletableFuture<Map<String, float[]>> embeddings = CompletableFuture.supplyAsync(
                BridgeClusterIT::referenceEmbeddings, r -> new Thread(r, "reference-embeddings").start());
        cluster = startClusterInOwnRunDir();
        kafka = broker.join();
        expected = embeddings.join();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void callersGetTheirOwnResultThroughTaskManagerKillAndBrokerRestart(@TempDir Path dir) throws Exception {
        BridgeStack stack = new BridgeStack(kafka, PREFIX); // the five topics: results with 4 partitions
        Path config = writeJobConfig();
        String job = submit(config);
        Set<String> hosts = cluster.taskManagersOf(job);
        assertThat(hosts).as("the job runs on both task managers").containsExactlyInAnyOrder("tm1", "tm2");

        try (Bridge bridge = stack.startBridge(stack.bridgeYaml("bridge-cluster", "callbacks:\n  enabled: false\n"))) {
            long bridgeStarted = System.nanoTime();
            await().atMost(WAIT).until(bridge::isReady);
            LOG.info("bridge ready {} ms after its start (the job answered its probe)", ms(bridgeStarted));
            Http http = new Http(bridge.port(), null);
            List<Call> calls = new ArrayList<>();
            List<AsyncJob> asyncJobs = new ArrayList<>();

            // (1) kill -9 of a task manager with calls and a Batch API batch in flight; a checkpoint taken during
            // the traffic first, so the restore brings back in-flight requests and request state, not an empty job.
            BatchApiClient batches = new BatchApiClient(URI.create("http://127.0.0.1:" + bridge.port()), null);
            String batch = startBatch(batches, dir);
            long trafficStartEpoch = System.currentTimeMillis();
            wave(http, calls, asyncJobs, 60);
            await().atMost(WAIT).until(() -> answered(calls) >= 20
                    && latestCheckpointTriggeredAt(job) > trafficStartEpoch);
            wave(http, calls, asyncJobs, 60);
            String victim = hosts.iterator().next();
            long killedAt = System.nanoTime();
            cluster.kill(victim);
            LOG.info("killed {} (kill -9) with {} of {} sync calls answered, async jobs in flight: {}, batch: {}",
                    victim, answered(calls), calls.size(), asyncInFlight(http, asyncJobs),
                    batches.batch(batch).get("request_counts"));
            wave(http, calls, asyncJobs, 60);
            await().atMost(WAIT).until(() -> answered(calls) == calls.size()
                    && asyncJobs.stream().allMatch(j -> j.answer.isDone()));
            long allAnsweredAfterKill = System.nanoTime();
            int callsAroundKill = calls.size();
            checkBatch(batches, batch);
            // The job failed over: RUNNING again on the remaining task manager only.
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode j = cluster.rest.job(job);
                return j.path("timestamps").path("RESTARTING").asLong() > 0 && FlinkRestClient.allTasksRunning(j);
            });
            Set<String> after = cluster.taskManagersOf(job);
            LOG.info("TASK MANAGER KILL: all {} sync calls answered {} ms after the kill -9 of {}; job RUNNING again "
                    + "on {}", callsAroundKill, ms(killedAt, allAnsweredAfterKill), victim, after);
            assertThat(cluster.isAlive(victim)).isFalse();
            assertThat(after).as("the job runs again, without the killed task manager").doesNotContain(victim)
                    .isNotEmpty();
            assertThat(cluster.rest.job(job).path("timestamps").path("RESTARTING").asLong())
                    .as("the job really restarted").isPositive();

            // (2) the broker stops with calls in flight, calls arrive while it is down, and it comes back.
            wave(http, calls, asyncJobs, 50);
            long brokerStop = System.nanoTime();
            kafka.stopBroker();
            LOG.info("broker stopped with {} of {} sync calls answered", answered(calls), calls.size());
            wave(http, calls, asyncJobs, 10);
            // Down long enough for the bridge to notice, and callers meet it not ready.
            await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> !bridge.isReady());
            LOG.info("bridge not ready {} ms after the broker stopped: {}", ms(brokerStop), bridge.notReadyReason());
            wave(http, calls, asyncJobs, 10);
            long brokerStart = System.nanoTime();
            kafka.startBroker();
            long brokerUp = System.nanoTime();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(bridge::isReady);
            long readyAgain = System.nanoTime();
            LOG.info("BROKER RESTART: broker down {} ms, startBroker() took {} ms; bridge ready again {} ms after the "
                    + "broker was up ({} ms after startBroker() was called)", ms(brokerStop, brokerStart),
                    ms(brokerStart, brokerUp), ms(brokerUp, readyAgain), ms(brokerStart, readyAgain));
            wave(http, calls, asyncJobs, 50);
            await().atMost(WAIT).until(() -> answered(calls) == calls.size()
                    && asyncJobs.stream().allMatch(j -> j.answer.isDone()));
            LOG.info("all {} sync calls answered {} ms after the broker was up again", calls.size(),
                    ms(brokerUp, System.nanoTime()));

            checkOutcomes(http, calls, asyncJobs);
        } finally {
            cancelQuietly(job);
        }
    }

    /** A batch of {@value #BATCH_LINES} embedding lines (the sentences in turn), running when the kill comes. */
    private static String startBatch(BatchApiClient batches, Path dir) throws IOException {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < BATCH_LINES; i++) {
            in.append(OipJson.MAPPER.writeValueAsString(Map.of("custom_id", "b-" + i, "method", "POST", "url",
                    "/v1/embeddings", "body", Map.of("model", MODEL, "input", SENTENCES.get(i % SENTENCES.size())))))
                    .append('\n');
        }
        Path file = Files.writeString(dir.resolve("batch.jsonl"), in);
        return batches.create(batches.upload(file).get("id").asText(), "/v1/embeddings", "24h", null).get("id")
                .asText();
    }

    /** The batch completes through the kill with every line once in its output, each its own sentence's vector. */
    private static void checkBatch(BatchApiClient batches, String batch) throws IOException {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> batches.batch(batch).get("status").asText().equals("completed"));
        JsonNode done = batches.batch(batch);
        assertThat(done.get("request_counts").get("completed").asInt()).as("%s", done).isEqualTo(BATCH_LINES);
        assertThat(done.get("request_counts").get("failed").asInt()).as("%s", done).isZero();
        Map<String, Integer> seen = new HashMap<>();
        try (InputStream content = batches.content(done.get("output_file_id").asText())) {
            for (String line : new String(content.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                JsonNode n = OipJson.MAPPER.readTree(line);
                String customId = n.get("custom_id").asText();
                seen.merge(customId, 1, Integer::sum);
                JsonNode response = n.get("response");
                assertThat(response.get("status_code").asInt()).as(line).isEqualTo(200);
                JsonNode vector = response.get("body").get("data").get(0).get("embedding");
                float[] embedding = new float[vector.size()];
                for (int i = 0; i < embedding.length; i++) {
                    embedding[i] = (float) vector.get(i).asDouble();
                }
                String sentence = SENTENCES.get(Integer.parseInt(customId.substring(2)) % SENTENCES.size());
                assertThat(Embeddings.cosine(embedding, expected.get(sentence))).as("line %s", customId)
                        .isGreaterThan(0.999);
            }
        }
        assertThat(seen).hasSize(BATCH_LINES);
        assertThat(seen.values()).as("every line of the batch exactly once").containsOnly(1);
        LOG.info("BATCH: {} lines through the kill -9, each once in the output with its own sentence's embedding",
                BATCH_LINES);
    }

    /** Cancels the job; a failure here must not hide the test's own. */
    private static void cancelQuietly(String job) {
        try {
            cluster.submit("--cancel", job);
        } catch (Throwable t) {
            LOG.warn("Cancelling job {} failed", job, t);
        }
    }

    /** Each sync caller got its own result, a 504 whose job later holds its own result, or a 503. */
    private static void checkOutcomes(Http http, List<Call> calls, List<AsyncJob> asyncJobs) {
        int ok = 0;
        int timedOut = 0;
        int refused = 0;
        for (Call c : calls) {
            Http.Answer a = c.answer.join();
            if (a.status() == 200) {
                ok++;
                assertOwnResult(a.json(), c.id, c.sentence);
            } else if (a.status() == 504) {
                timedOut++;
                String jobId = a.json().get("job_id").asText();
                await().atMost(WAIT).until(() -> http.get("/v1/jobs/" + jobId).json().has("result"));
                JsonNode j = http.get("/v1/jobs/" + jobId).json();
                assertThat(j.get("state").asText()).as("job %s of a timed-out call", jobId).isEqualTo("SUCCEEDED");
                assertOwnResult(j.get("result"), c.id, c.sentence);
            } else {
                // Kafka did not take it, or the bridge was not ready: a definite refusal, never a silent loss.
                assertThat(a.status()).as(a.body()).isEqualTo(503);
                refused++;
            }
        }
        LOG.info("SYNC OUTCOMES of {} calls: {} x 200 (own result), {} x 504 (own result fetched later), {} x 503",
                calls.size(), ok, timedOut, refused);
        assertThat(ok).isPositive();

        int accepted = 0;
        for (AsyncJob j : asyncJobs) {
            Http.Answer a = j.answer.join();
            if (a.status() != 202) {
                assertThat(a.status()).as(a.body()).isEqualTo(503);
                continue;
            }
            accepted++;
            String jobId = a.json().get("job_id").asText();
            await().atMost(WAIT).until(() -> {
                JsonNode view = http.get("/v1/jobs/" + jobId).json();
                return "SUCCEEDED".equals(view.path("state").asText()) && view.has("result");
            });
            assertOwnResult(http.get("/v1/jobs/" + jobId).json().get("result"), null, j.sentence);
        }
        LOG.info("ASYNC: {} of {} submissions accepted (202), all SUCCEEDED with their own result; {} refused (503)",
                accepted, asyncJobs.size(), asyncJobs.size() - accepted);
        assertThat(accepted).isPositive();
    }

    /** {@code count} sync calls and every tenth an async job too, all sent without waiting for answers. */
    private static void wave(Http http, List<Call> calls, List<AsyncJob> asyncJobs, int count) {
        int from = calls.size();
        for (int i = from; i < from + count; i++) {
            String sentence = SENTENCES.get(i % SENTENCES.size());
            // Callers share ids on purpose (7 ids, 6 sentences: the same id carries different sentences):
            // correlation must never rely on them.
            String id = "caller-" + (i % 7);
            calls.add(new Call(id, sentence, http.postAsync("/v2/models/" + MODEL + "/infer",
                    Http.text(id, sentence), "X-Timeout-Ms", SYNC_TIMEOUT_MS)));
            if (i % 10 == 0) {
                asyncJobs.add(new AsyncJob(sentence, http.postAsync("/v1/jobs/" + MODEL,
                        Http.text("async", sentence))));
            }
        }
    }

    /** Async jobs submitted but not known to be final: answer pending, or accepted and not yet SUCCEEDED. */
    private static long asyncInFlight(Http http, List<AsyncJob> asyncJobs) {
        return asyncJobs.stream().filter(j -> {
            if (!j.answer.isDone()) {
                return true;
            }
            Http.Answer a = j.answer.join();
            return a.status() == 202 && !"SUCCEEDED".equals(http.get("/v1/jobs/" + a.json().get("job_id").asText())
                    .json().path("state").asText());
        }).count();
    }

    private static long answered(List<Call> calls) {
        return calls.stream().filter(c -> c.answer.isDone()).count();
    }

    /** The echoed id (sync calls; null: not checked) and an embedding of the caller's own sentence. */
    private static void assertOwnResult(JsonNode response, String id, String sentence) {
        if (id != null) {
            assertThat(response.get("id").asText()).isEqualTo(id);
        }
        JsonNode data = response.get("outputs").get(0).get("data");
        float[] embedding = new float[data.size()];
        for (int i = 0; i < embedding.length; i++) {
            embedding[i] = (float) data.get(i).asDouble();
        }
        assertThat(Embeddings.cosine(embedding, expected.get(sentence))).as("the result of '%s'", sentence)
                .isGreaterThan(0.9999);
    }

    private static Map<String, float[]> referenceEmbeddings() {
        return Embeddings.reference(MODEL, SENTENCES);
    }

    /**
     * The cluster of {@link LocalFlinkCluster} in a run dir of its own ({@code <cluster dir>-bridge}), so that it
     * never meets the one of InferenceClusterIT; the resolved classpath is reused when that one has it.
     */
    private static LocalFlinkCluster startClusterInOwnRunDir() throws Exception {
        String key = "streaminfer.cluster.dir";
        String shared = System.getProperty(key);
        Path sharedDir = Path.of(shared == null ? "target/cluster-it" : shared).toAbsolutePath();
        Path own = sharedDir.resolveSibling(sharedDir.getFileName() + "-bridge");
        Files.createDirectories(own);
        Path classpath = sharedDir.resolve("classpath.txt");
        if (Files.isRegularFile(classpath) && !Files.exists(own.resolve("classpath.txt"))) {
            Files.copy(classpath, own.resolve("classpath.txt"), StandardCopyOption.COPY_ATTRIBUTES);
        }
        System.setProperty(key, own.toString());
        try {
            return LocalFlinkCluster.start(2, 2);
        } finally {
            if (shared == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, shared);
            }
        }
    }

    /**
     * The job config a user hands to deploy/submit, for the stack's topics and the bridge's job group:
     * at-least-once, 1 s checkpoints into the cluster's checkpoint dir, one torch worker per replica.
     */
    private static Path writeJobConfig() throws Exception {
        String yaml = InferenceTraffic.jobConfigYaml(kafka.bootstrapServers(), PREFIX, BridgeStack.modelsDir(),
                PARALLELISM);
        Path dir = cluster.runDir.resolve("job-configs");
        Files.createDirectories(dir);
        Path file = dir.resolve(PREFIX + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private static long latestCheckpointTriggeredAt(String job) throws Exception {
        return cluster.rest.get("/jobs/" + job + "/checkpoints").path("latest").path("completed")
                .path("trigger_timestamp").asLong();
    }

    /** deploy/submit --config FILE --jar JAR against the test cluster; returns the job ID it prints. */
    private static String submit(Path config) throws Exception {
        List<String> out = cluster.submit("--config", config.toString(), "--jar",
                System.getProperty("streaminfer.job.jar"));
        assertThat(out).hasSize(2);
        return out.get(0);
    }

    private static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    private static long ms(long from, long to) {
        return TimeUnit.NANOSECONDS.toMillis(to - from);
    }
}
