package io.streaminfer.e2e;

import io.streaminfer.job.testing.Embeddings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sync and async callers through the bridge while the pipeline fails under them: a task manager is lost (the job
 * restarts from its checkpoint), then the Kafka broker stops and comes back. Every sync caller gets its own result,
 * or a 504 whose job ID later yields its own result, or a 503 saying Kafka did not take the request — never another
 * caller's result; every async job accepted before the failures ends SUCCEEDED with its result. The bridge reads the
 * job's state from the MiniCluster's REST API (as from Flink's in production): while the job restarts, the bridge
 * stays ready (reporting the restart) and refuses nothing — Kafka holds the requests (issue 29).
 */
class BridgeFailoverIT {
    private static final Logger LOG = LoggerFactory.getLogger(BridgeFailoverIT.class);
    private static final String MODEL = "all-minilm-l6-v2";
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final Set<String> FINAL = Set.of("SUCCEEDED", "FAILED", "EXPIRED");

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(miniClusterConfig())
            .build());

    static Configuration miniClusterConfig() {
        Configuration c = new Configuration();
        c.setString("taskmanager.memory.managed.size", "128m");
        c.setString("state.backend.rocksdb.localdir", "/tmp/si-e2e-rocks");
        return c;
    }

    /** One caller's call and what it sent. */
    private record Call(String id, String sentence, long sentAtMs, CompletableFuture<Http.Answer> answer) {}

    /** Each sync call's wait, and so its request's deadline. */
    private static final long CALL_TIMEOUT_MS = 15_000;

    @Test
    void callersGetTheirOwnResultOrA504ThroughTaskManagerAndBrokerFailures(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            sentences.add("Sentence number " + i + " about a river, a market and a " + (i % 2 == 0 ? "dog" : "cat"));
        }
        Map<String, float[]> expected = Embeddings.reference(MODEL, sentences);
        String flink = "flink:\n  rest-url: " + cluster.getRestAddress().get() + "\n  job-name: streaminfer\n";
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                BridgeStack stack = new BridgeStack(kafka, "fail").startJob();
                Bridge bridge = stack.startBridge(stack.bridgeYaml("bridge-f", "callbacks:\n  enabled: false\n"
                        + flink))) {
            await().atMost(WAIT).until(bridge::isReady);
            Http http = new Http(bridge.port(), null);

            List<Call> calls = new ArrayList<>();
            List<String> asyncJobs = new ArrayList<>();
            List<String> asyncSentences = new ArrayList<>();
            List<String> asyncRefusals = new ArrayList<>();
            int n = 0;
            // Wave 1, then lose the task manager while wave 2 is in flight.
            n = wave(http, calls, asyncJobs, asyncSentences, asyncRefusals, sentences, n, 60);
            await().atMost(WAIT).until(() -> calls.stream().filter(c -> c.answer.isDone()).count() > 20);
            n = wave(http, calls, asyncJobs, asyncSentences, asyncRefusals, sentences, n, 60);
            long killedAt = System.nanoTime();
            int callsAroundKill;
            try (ReadinessSamples readiness = new ReadinessSamples(http)) {
                cluster.terminateTaskManager(0).get();
                cluster.startTaskManager();
                n = wave(http, calls, asyncJobs, asyncSentences, asyncRefusals, sentences, n, 60);
                await().atMost(WAIT).until(() -> calls.stream().allMatch(c -> c.answer.isDone()));
                callsAroundKill = calls.size();
                LOG.info("Task manager loss: all sync calls answered {} ms after the kill; readiness meanwhile: {}",
                        (System.nanoTime() - killedAt) / 1_000_000, readiness);
                assertThat(readiness.jobStates()).as("the bridge saw the job not running").isNotEmpty();
                assertThat(readiness.notReady()).as("readiness answers other than 200 during the restart").isEmpty();
            }
            assertThat(cluster.getExecutionGraph(stack.job.getJobID()).get()
                    .getStatusTimestamp(JobStatus.RESTARTING)).as("the job really failed over").isPositive();
            List<String> refusedAroundKill = calls.subList(0, callsAroundKill).stream().map(c -> c.answer.join())
                    .filter(a -> a.status() == 503).map(Http.Answer::body).toList();
            LOG.info("Refused during the task manager loss: {} of {} sync calls, {} async submissions",
                    refusedAroundKill.size(), callsAroundKill, asyncRefusals.size());
            assertThat(refusedAroundKill).as("sync calls refused while the job restarted").isEmpty();
            assertThat(asyncRefusals).as("async submissions refused while the job restarted").isEmpty();

            // Then the broker goes away with calls in flight, and comes back.
            n = wave(http, calls, asyncJobs, asyncSentences, asyncRefusals, sentences, n, 40);
            kafka.stopBroker();
            n = wave(http, calls, asyncJobs, asyncSentences, asyncRefusals, sentences, n, 20);
            kafka.startBroker();
            await().atMost(WAIT).until(bridge::isReady);
            wave(http, calls, asyncJobs, asyncSentences, asyncRefusals, sentences, n, 40);
            await().atMost(WAIT).until(() -> calls.stream().allMatch(c -> c.answer.isDone()));

            int ok = 0;
            int timedOut = 0;
            int expired = 0;
            int refused = 0;
            for (Call c : calls) {
                Http.Answer a = c.answer.join();
                if (a.status() == 200) {
                    ok++;
                    assertOwnResult(a.json(), c.id, c.sentence, expected);
                } else if (a.status() == 504) {
                    // The caller's wait is also the request's deadline: its one final state is its own result if
                    // the job started it in time, else EXPIRED (a failover can take longer than the call's wait).
                    String jobId = a.json().get("job_id").asText();
                    await().atMost(WAIT).until(() -> FINAL.contains(http.get("/v1/jobs/" + jobId).json()
                            .path("state").asText()));
                    JsonNode job = http.get("/v1/jobs/" + jobId).json();
                    if (job.get("state").asText().equals("EXPIRED")) {
                        assertThat(job.path("error_code").asText()).as(job.toString()).isEqualTo("DEADLINE_EXCEEDED");
                        // never before its deadline: only the caller's own deadline expires a request
                        assertThat(job.path("updated_at").asLong()).as(job.toString())
                                .isGreaterThanOrEqualTo(c.sentAtMs + CALL_TIMEOUT_MS);
                        expired++;
                    } else {
                        assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
                        await().atMost(WAIT).until(() -> http.get("/v1/jobs/" + jobId).json().has("result"));
                        assertOwnResult(http.get("/v1/jobs/" + jobId).json().get("result"), c.id, c.sentence,
                                expected);
                        timedOut++;
                    }
                } else {
                    // Kafka did not take it (or the bridge was not ready): a definite refusal, never a silent loss.
                    assertThat(a.status()).as(a.body()).isEqualTo(503);
                    refused++;
                }
            }
            LOG.info("Sync calls: {} answered, {} timed out and fetched later, {} expired, {} refused with 503", ok,
                    timedOut, expired, refused);
            assertThat(ok).isPositive();

            for (int i = 0; i < asyncJobs.size(); i++) {
                String jobId = asyncJobs.get(i);
                await().atMost(WAIT).until(() -> "SUCCEEDED".equals(http.get("/v1/jobs/" + jobId).json()
                        .path("state").asText()) && http.get("/v1/jobs/" + jobId).json().has("result"));
                assertOwnResult(http.get("/v1/jobs/" + jobId).json().get("result"), "async-" + jobId,
                        asyncSentences.get(i), expected);
            }
            LOG.info("All {} async jobs succeeded", asyncJobs.size());
        }
    }

    /** {@code count} sync calls and a tenth as many async jobs (503s kept); returns the next caller number. */
    private static int wave(Http http, List<Call> calls, List<String> asyncJobs, List<String> asyncSentences,
            List<String> asyncRefusals, List<String> sentences, int from, int count) {
        for (int i = from; i < from + count; i++) {
            String sentence = sentences.get(i % sentences.size());
            // Callers share ids on purpose: correlation must never rely on them.
            String id = "caller-" + (i % 5);
            calls.add(new Call(id, sentence, System.currentTimeMillis(), http.postAsync("/v2/models/" + MODEL
                    + "/infer", Http.text(id, sentence), "X-Timeout-Ms", Long.toString(CALL_TIMEOUT_MS))));
            if (i % 10 == 0) {
                Http.Answer a = http.post("/v1/jobs/" + MODEL, Http.text("async", sentence));
                if (a.status() == 202) {
                    asyncJobs.add(a.json().get("job_id").asText());
                    asyncSentences.add(sentence);
                } else {
                    assertThat(a.status()).as(a.body()).isEqualTo(503);
                    asyncRefusals.add(a.body());
                }
            }
        }
        return from + count;
    }

    /** {@code /v2/health/ready} every 50 ms, as a load balancer asks: statuses other than 200, job states seen. */
    private static final class ReadinessSamples implements AutoCloseable {
        private final Set<String> notReady = new CopyOnWriteArraySet<>();
        private final Set<String> jobStates = new CopyOnWriteArraySet<>();
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();

        ReadinessSamples(Http http) {
            sampler.scheduleWithFixedDelay(() -> {
                try {
                    Http.Answer a = http.get("/v2/health/ready");
                    if (a.status() != 200) {
                        notReady.add(a.status() + " " + a.body());
                    }
                    JsonNode job = a.json().path("pipeline_job");
                    if (job.isTextual()) {
                        // without the seconds that grow each check
                        jobStates.add(job.asText().replaceAll(" \\(not running for [^)]*\\)$", ""));
                    }
                } catch (RuntimeException | AssertionError e) {
                    notReady.add("no answer: " + e); // a task that throws is not run again: keep sampling
                }
            }, 0, 50, TimeUnit.MILLISECONDS);
        }

        Set<String> notReady() {
            return notReady;
        }

        Set<String> jobStates() {
            return jobStates;
        }

        @Override
        public String toString() {
            return "job states " + jobStates + ", not ready " + notReady;
        }

        @Override
        public void close() throws InterruptedException {
            sampler.shutdownNow();
            sampler.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void assertOwnResult(JsonNode response, String id, String sentence, Map<String, float[]> expected) {
        if (!id.startsWith("async-")) {
            assertThat(response.get("id").asText()).isEqualTo(id);
        }
        float[] embedding = Embeddings.floats(response.get("outputs").get(0).get("data"));
        assertThat(Embeddings.cosine(embedding, expected.get(sentence))).as("the result of '%s'", sentence)
                .isGreaterThan(0.9999);
    }
}
