package io.streaminfer.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.job.tools.FlinkRestClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shaded job jar on a real multi-process Flink cluster (deploy/cluster/start: a JobManager and two TaskManager
 * JVMs, RocksDB, checkpoints on disk), submitted the way deploy/submit does it (REST upload + run, config inline),
 * with the MiniLM model and a real broker (in this JVM). The task managers outlive the jobs, so each test also
 * proves that DJL's natives, which live on the task managers' own classpath, serve a job that runs again in the same
 * JVM. The task manager is killed last, as it shrinks the cluster.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InferenceClusterIT {
    /** The shipped generative model, streamed through the kill. */
    static final String GENERATIVE = "sotu-gpt";
    private static final Logger LOG = LoggerFactory.getLogger(InferenceClusterIT.class);
    private static final int PARALLELISM = 2;
    /** Generous: on a busy 2-core machine 3,000 real texts take minutes; a healthy run ends far sooner. */
    private static final Duration SETTLE = Duration.ofMinutes(10);

    static LocalFlinkCluster cluster;
    static EmbeddedKafka kafka;
    static Path configDir;

    @BeforeAll
    static void start() throws Exception {
        // Both at once: each takes seconds, and most of it is waiting.
        Thread kafkaStart = new Thread(() -> kafka = EmbeddedKafka.start(), "start-kafka");
        kafkaStart.start();
        cluster = LocalFlinkCluster.start(2, 2);
        kafkaStart.join();
        assertThat(kafka).as("the broker started").isNotNull();
        configDir = cluster.runDir.resolve("job-configs");
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

    /** (b) Cancel and resubmit: the second job loads DJL and the model in the same task manager JVMs. */
    @Test
    @Order(1)
    void resubmittedJobRunsTheModelAgainInTheSameTaskManagers() throws Exception {
        try (InferenceTraffic traffic = new InferenceTraffic(kafka, "resubmit", PARALLELISM, configDir)) {
            Map<String, Long> pidsBefore = cluster.taskManagerPids();
            String first = submit(traffic.configFile);
            assertThat(cluster.taskManagersOf(first)).as("the job runs on both task managers")
                    .containsExactlyInAnyOrder("tm1", "tm2");
            List<String> before = traffic.ids("first", 200);
            traffic.send(before);
            await().atMost(SETTLE).until(() -> traffic.allDone(before));
            assertThat(traffic.notCleanlySucceeded(before)).isEmpty();

            cluster.submit("--cancel", first);
            String second = submit(traffic.configFile);
            assertThat(cluster.taskManagersOf(second)).containsExactlyInAnyOrder("tm1", "tm2");
            List<String> after = traffic.ids("second", 200);
            traffic.send(after);
            await().atMost(SETTLE).until(() -> traffic.allDone(after));

            assertThat(traffic.notCleanlySucceeded(after)).as("requests of the resubmitted job").isEmpty();
            assertThat(cluster.taskManagerPids()).as("the same task manager JVMs served both jobs")
                    .isEqualTo(pidsBefore);
            for (String tm : pidsBefore.keySet()) {
                assertThat(cluster.logLines(tm, "already loaded in another classloader")).as(tm).isEmpty();
            }
            cluster.submit("--cancel", second);
        }
    }

    /** (c) Stop with a savepoint, resubmit from it: a request ID from before is recognised, its result replayed. */
    @Test
    @Order(2)
    void savepointCarriesRequestStateIntoTheNextJob() throws Exception {
        try (InferenceTraffic traffic = new InferenceTraffic(kafka, "upgrade", PARALLELISM, configDir)) {
            String first = submit(traffic.configFile);
            List<String> before = traffic.ids("before", 100);
            traffic.send(before);
            await().atMost(SETTLE).until(() -> traffic.allDone(before));
            assertThat(traffic.notCleanlySucceeded(before)).isEmpty();
            String old = before.get(42);
            List<StatusRecord> oldStatuses = traffic.statuses(old);

            long t0 = System.nanoTime();
            String savepoint = cluster.submit("--stop", first).get(0);
            LOG.info("stop with savepoint: {} ms, savepoint {}", ms(t0), savepoint);
            assertThat(cluster.rest.job(first).path("state").asText()).isEqualTo("FINISHED");
            assertThat(Path.of(savepoint.replaceFirst("^file:", ""))).isDirectory();

            t0 = System.nanoTime();
            String second = submit(traffic.configFile, "--from-savepoint", savepoint);
            LOG.info("resubmitted from the savepoint: RUNNING {} ms after the submit started", ms(t0));
            // The duplicate of a finished request, then a new request (its outcome shows the job got past both).
            traffic.send(old, "A man is eating food.");
            List<String> fresh = traffic.ids("after", 20);
            traffic.send(fresh);
            await().atMost(SETTLE).until(() -> traffic.results.get(old).size() >= 2 && traffic.allDone(fresh));

            assertThat(traffic.notCleanlySucceeded(fresh)).isEmpty();
            List<byte[]> results = traffic.results.values(old);
            assertThat(results.get(results.size() - 1)).as("the replay is the stored result")
                    .isEqualTo(results.get(0));
            assertThat(traffic.statuses(old)).as("no new ACCEPTED/final status: the request was not run again")
                    .isEqualTo(oldStatuses);
            assertThat(traffic.finalStatuses(old)).extracting(StatusRecord::state)
                    .containsExactly(RequestState.SUCCEEDED);
            cluster.submit("--cancel", second);
        }
    }

    /**
     * Bursts of large requests near the job's 4 MiB limit: 60 texts of ~3.9 MB each, then 6 requests of 32 rows of
     * ~100 KB each. Every one ends SUCCEEDED (texts are cut to what the model reads before they are tokenized), no
     * task manager runs out of memory, dies or restarts, and their resident memory stays under the process size.
     * Their peak heap is printed (sampled; it counts garbage not yet collected).
     */
    @Test
    @Order(3)
    void burstsOfLargeRequestsAllSucceedWithinTheTaskManagersMemory() throws Exception {
        try (InferenceTraffic traffic = new InferenceTraffic(kafka, "large", PARALLELISM, configDir)) {
            Map<String, Long> pids = cluster.taskManagerPids();
            String job = submit(traffic.configFile);
            List<String> texts = RealTexts.load(
                    Path.of(System.getProperty("streaminfer.models.dir")));
            StringBuilder big = new StringBuilder();
            for (int i = 0; big.length() < 3_900_000; i++) {
                big.append(texts.get(i % texts.size())).append(' ');
            }
            String huge = big.substring(0, 3_900_000);
            List<String> single = traffic.ids("huge", 60);
            List<String> multi = traffic.ids("rows", 6);
            HeapSampler heap = new HeapSampler(pids.keySet());
            heap.start();
            long t0 = System.nanoTime();
            for (String id : single) {
                traffic.send(id, huge);
            }
            for (int r = 0; r < multi.size(); r++) {
                List<String> rows = new ArrayList<>();
                for (int k = 0; k < 32; k++) {
                    int from = (r * 32 + k) * 997 % (huge.length() - 100_000);
                    rows.add(huge.substring(from, from + 100_000));
                }
                traffic.sendRows(multi.get(r), rows);
            }
            traffic.flush();
            List<String> all = new ArrayList<>(single);
            all.addAll(multi);
            await().atMost(SETTLE).until(() -> traffic.allDone(all));
            heap.stop();
            LOG.info("LARGE: {} requests of ~3.9 MB and {} of 32 x 100 KB final in {} ms; {}", single.size(),
                    multi.size(), ms(t0), heap.report());

            assertThat(traffic.notCleanlySucceeded(all)).isEmpty();
            assertThat(cluster.rest.job(job).path("timestamps").path("RESTARTING").asLong())
                    .as("the job never restarted").isZero();
            assertThat(cluster.taskManagerPids()).as("no task manager died").isEqualTo(pids);
            for (String tm : pids.keySet()) {
                assertThat(cluster.logLines(tm, "OutOfMemoryError")).as(tm).isEmpty();
                assertThat(heap.peakRssBytes(tm)).as("peak RSS of %s (process size 3g)", tm)
                        .isLessThan(3L << 30);
            }
            cluster.submit("--cancel", job);
        }
    }

    /** Polls the task managers' heap through Flink's REST API and reads their peak RSS from /proc. */
    private static final class HeapSampler {
        private final Set<String> tms;
        private final Map<String, Long> peakUsed = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<String, Long> max = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile boolean running = true;
        private final Thread thread;

        HeapSampler(Set<String> tms) {
            this.tms = tms;
            this.thread = new Thread(() -> {
                while (running) {
                    for (String tm : tms) {
                        try {
                            for (JsonNode m : cluster.rest.get("/taskmanagers/" + tm + "/metrics?get="
                                    + "Status.JVM.Memory.Heap.Used,Status.JVM.Memory.Heap.Max")) {
                                long v = m.path("value").asLong();
                                if (m.path("id").asText().endsWith("Used")) {
                                    peakUsed.merge(tm, v, Math::max);
                                } else {
                                    max.put(tm, v);
                                }
                            }
                        } catch (Exception e) {
                            // a sample missed is not a failure
                        }
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
                }
            }, "heap-sampler");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(5_000);
        }

        long peakRssBytes(String tm) throws java.io.IOException {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/" + cluster.pid(tm) + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
            return -1;
        }

        String report() throws java.io.IOException {
            StringBuilder sb = new StringBuilder();
            for (String tm : tms) {
                sb.append(String.format("%s: peak heap %d of %d MiB, peak RSS %d MiB; ", tm,
                        peakUsed.getOrDefault(tm, 0L) >> 20, max.getOrDefault(tm, 0L) >> 20, peakRssBytes(tm) >> 20));
            }
            return sb.toString();
        }
    }

    /**
     * (a) {@code kill -9} of a task manager in the middle of a backlog of 3,000 real texts of long-tailed lengths
     * (deploy/data), produced as a burst: the job restarts on the remaining one from its last checkpoint, and every
     * request ends in exactly one final state (SUCCEEDED) with a result; none fails for having waited in the
     * backlog. At-least-once: what was computed after the last checkpoint is computed and published again (same
     * state and result, new timestamps); readers deduplicate by ID. 600 questions for the example graph sotu-qa
     * (three steps, one a branch) are spread through the backlog, so graph requests are in every step when the task
     * manager dies: each ends in exactly one final state (SUCCEEDED) with a result too. 24 streamed generations of the
     * shipped generative model are running when it dies: each ends once, and a reader of its token
     * records sees sequence numbers 0..n-1 once each, joining to its final text (no token repeated or skipped).
     */
    @Test
    @Order(4)
    void killedTaskManagerLosesNoRequest() throws Exception {
        int n = 3_000;
        try (InferenceTraffic traffic = new InferenceTraffic(kafka, "failover", PARALLELISM, configDir,
                List.of(InferenceTraffic.MODEL, "sotu-qa", GENERATIVE))) {
            String job = submit(traffic.configFile);
            Set<String> hosts = cluster.taskManagersOf(job);
            assertThat(hosts).hasSize(2);
            List<String> ids = traffic.ids("r", n);
            List<String> questions = traffic.ids("graph", 600);
            List<String> generations = traffic.ids("gen", 24);
            long sendStart = System.nanoTime();
            long sendStartEpoch = System.currentTimeMillis();
            for (String g : generations) {
                traffic.sendGeneration(g, GENERATIVE, "Mr. Speaker, the state of our union", 440);
            }
            traffic.sendRealTexts(ids, questions);
            // Mid-stream: a tenth of the results out, and a checkpoint taken during the traffic (so the restore
            // brings back in-flight requests and request state, not an empty job).
            await().atMost(SETTLE).until(() -> traffic.results.countPresent(ids) >= n / 10
                    && latestCheckpointTriggeredAt(job) > sendStartEpoch
                    && generations.stream().allMatch(g -> !traffic.tokenRecords(g).isEmpty()));
            int streamedBefore = generations.stream().mapToInt(g -> traffic.tokenRecords(g).size()).sum();
            long doneBefore = traffic.results.countPresent(ids);
            String victim = hosts.iterator().next();
            JsonNode checkpoints = cluster.rest.get("/jobs/" + job + "/checkpoints");
            long killedAt = System.nanoTime();
            long killedAtEpoch = System.currentTimeMillis();
            cluster.kill(victim);
            LOG.info("killed {} (kill -9) {} ms after the first request, {} of {} requests had results; {} checkpoints "
                    + "completed, the latest triggered {} ms before the kill (what a restore goes back to)", victim,
                    TimeUnit.NANOSECONDS.toMillis(killedAt - sendStart), doneBefore, n,
                    checkpoints.path("counts").path("completed").asLong(),
                    killedAtEpoch - checkpoints.path("latest").path("completed").path("trigger_timestamp").asLong());

            long[] noticed = {0};
            await().atMost(SETTLE).pollInterval(Duration.ofMillis(100)).until(() -> {
                JsonNode j = cluster.rest.job(job);
                if (noticed[0] == 0 && !FlinkRestClient.allTasksRunning(j)) {
                    noticed[0] = System.nanoTime();
                }
                return noticed[0] != 0 && FlinkRestClient.allTasksRunning(j);
            });
            long runningAgain = System.nanoTime();
            Set<String> after = cluster.taskManagersOf(job);
            await().atMost(SETTLE).until(() -> traffic.allDone(ids) && traffic.allDone(questions)
                    && traffic.allDone(generations));
            long allFinal = System.nanoTime();

            JsonNode timestamps = cluster.rest.job(job).path("timestamps");
            LOG.info("RECOVERY after kill -9 of {}: failure seen by the JobManager {} ms after the kill; all tasks "
                            + "RUNNING again on {} after {} ms; all {} requests (and {} graph requests) final after "
                            + "{} ms; {} of them had results before the kill; end to end {} ms for {} requests ({}/s "
                            + "overall)", victim, ms(killedAt, noticed[0]), after, ms(killedAt, runningAgain), n,
                    questions.size(), ms(killedAt, allFinal), doneBefore, ms(sendStart, allFinal), n,
                    n * 1000L / Math.max(1, ms(sendStart, allFinal)));
            LOG.info("job status timestamps (epoch ms) from the JobManager: {}", timestamps);

            assertThat(after).as("the job runs again, without the killed task manager").doesNotContain(victim)
                    .isNotEmpty();
            assertThat(timestamps.path("RESTARTING").asLong()).as("the job really failed over").isPositive();
            List<String> bad = traffic.notCleanlySucceeded(ids);
            assertThat(bad).as("requests without exactly one final SUCCEEDED status and a result (first 10: %s)",
                    bad.subList(0, Math.min(10, bad.size()))).isEmpty();
            List<String> badGraph = traffic.notCleanlySucceeded(questions);
            assertThat(badGraph).as("graph requests without exactly one final SUCCEEDED status and a result "
                    + "(first 10: %s)", badGraph.subList(0, Math.min(10, badGraph.size()))).isEmpty();
            List<String> badGenerations = traffic.notCleanlySucceeded(generations);
            assertThat(badGenerations).as("generations without exactly one final SUCCEEDED status").isEmpty();
            for (String g : generations) {
                List<TokenRecord> records = traffic.tokenRecords(g);
                String text = io.streaminfer.contract.OipJson.parseResponse(traffic.results.values(g).get(0))
                        .outputs().get(0).strings()[0];
                assertThat(records).as("token records of %s, in order, once each", g).extracting(TokenRecord::seq)
                        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, records.size()).boxed()
                                .toList());
                assertThat(records.get(records.size() - 1).last()).isTrue();
                assertThat(records.stream().map(TokenRecord::text).collect(java.util.stream.Collectors.joining()))
                        .as("joined text of %s", g).isEqualTo(text);
            }
            LOG.info("generations: {} token records streamed before the kill; all {} ended once with whole streams",
                    streamedBefore, generations.size());
            for (String q : questions) {
                assertThat(io.streaminfer.contract.OipJson.parseResponse(traffic.results.values(q).get(0))
                        .output("indices").shape()).as(q).containsExactly(1, 5);
            }
            long duplicates = traffic.results.all().size() - n;
            List<String> republished = ids.stream().filter(id -> traffic.finalStatuses(id).size() > 1).toList();
            LOG.info("at-least-once after the failover: {} duplicate result records, {} requests with their final "
                    + "status published again{}", duplicates, republished.size(), republished.isEmpty() ? ""
                    : " (e.g. " + traffic.statuses(republished.get(0)).stream().map(s -> new String(s.toJson(),
                            StandardCharsets.UTF_8)).toList() + ")");
            cluster.submit("--cancel", job);
        }
    }

    private static long latestCheckpointTriggeredAt(String job) throws Exception {
        return cluster.rest.get("/jobs/" + job + "/checkpoints").path("latest").path("completed")
                .path("trigger_timestamp").asLong();
    }

    /** deploy/submit --config FILE [more], against the test cluster; returns the job ID it prints. */
    private static String submit(Path config, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--config", config.toString(),
                "--jar", System.getProperty("streaminfer.job.jar")));
        args.addAll(Arrays.asList(more));
        List<String> out = cluster.submit(args.toArray(String[]::new));
        assertThat(out).hasSize(2);
        assertThat(out.get(1)).isEqualTo(cluster.rest.webUiLink(out.get(0)));
        return out.get(0);
    }

    private static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    private static long ms(long from, long to) {
        return TimeUnit.NANOSECONDS.toMillis(to - from);
    }
}
