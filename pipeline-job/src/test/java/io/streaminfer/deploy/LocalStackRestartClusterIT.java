package io.streaminfer.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.contract.Topics;
import io.streaminfer.e2e.Http;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.job.testing.TopicCollector;
import io.streaminfer.job.tools.FlinkRestClient;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 15 on the real local stack (deploy/local/up and its processes: Kafka in a child JVM, the session cluster,
 * the job submitted by deploy/submit, the bridge): requests finish, then a backlog of small, large (300 KB of text)
 * and malformed requests goes onto the topic and the stack is stopped while the job works on it, with the machine
 * busy; up starts again from the savepoint. Then a task manager is killed with -9 while the backlog is worked off:
 * up notices, shows its log and starts a new one, and the bridge says why it is not ready meanwhile. Every request
 * ends with exactly one final state, and the ID of a request finished before the stop is answered from the restored
 * state: its result comes again, byte for byte, and no new status record is written for it (a recomputation would
 * write ACCEPTED and a final status anew).
 */
class LocalStackRestartClusterIT {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStackRestartClusterIT.class);
    private static final String MODEL = "all-minilm-l6-v2";
    private static final Duration START = Duration.ofMinutes(12);
    /** A backlog of 3,000 real texts takes minutes on 2 busy cores; a stall is what this waits out, not speed. */
    private static final Duration SETTLE = Duration.ofMinutes(10);
    private static final int LARGE_CHARS = 300_000;

    @Test
    void requestStateAndBacklogSurviveAStopAndAKilledTaskManager() throws Exception {
        Path data = Path.of("target/local-stack-it").toAbsolutePath();
        deleteRecursively(data);
        try (LocalStack stack = new LocalStack(data)) {
            long t0 = System.nanoTime();
            stack.up();
            await().atMost(START).pollInterval(Duration.ofSeconds(1)).until(stack::isUp);
            LOG.info("stack up in {} ms", ms(t0));

            try (Traffic t = new Traffic(stack.bootstrapServers())) {
                // (1) Requests that finish before the stop.
                List<String> before = ids("before", 10);
                before.forEach(id -> t.sendText(id, sentence(id)));
                t.flush();
                await().atMost(SETTLE).until(() -> t.allFinal(before));
                String done = before.get(3);
                List<StatusRecord> doneStatuses = t.statuses(done);
                byte[] doneResult = t.results.values(done).get(0);

                // (2) A backlog on the topic — long, large and malformed — and a stop while the job works on it,
                // on a busy machine.
                // Enough that part of it is still on the topic when the savepoint is taken: the savepoint waits only
                // for what the job has already read (its in-flight requests), not for the topic. Real texts of
                // long-tailed lengths (deploy/data): 2,500 short sentences were all done within the 28 s a stop took.
                List<String> corpus = RealTexts.load(Path.of(System.getProperty("streaminfer.models.dir")));
                List<String> small = ids("small", 3000);
                List<String> large = ids("large", 8);
                List<String> malformed = ids("malformed", 4);
                for (int i = 0; i < small.size(); i++) {
                    t.sendText(small.get(i), corpus.get(i % corpus.size()));
                }
                large.forEach(id -> t.sendText(id, largeText(id)));
                malformed.forEach(t::sendMalformed);
                t.flush();
                List<String> backlog = concat(small, large, malformed);
                int rc;
                long leftAtStop;
                try (Busy busy = new Busy(1)) {
                    t0 = System.nanoTime();
                    rc = stack.stop();
                    leftAtStop = backlog.stream().filter(id -> !t.hasFinal(id)).count();
                    LOG.info("stack stopped (exit {}) in {} ms with {} of {} backlog requests not final yet", rc,
                            ms(t0), leftAtStop, backlog.size());
                    assertThat(stack.upLog()).contains("savepoint written");

                    t0 = System.nanoTime();
                    stack.up();
                    // Busy until the job is being submitted; from then on the backlog keeps the machine busy.
                    await().atMost(START).pollInterval(Duration.ofSeconds(1))
                            .until(() -> stack.isUp() || stack.upLog().contains("submitting the job"));
                }
                await().atMost(START).pollInterval(Duration.ofSeconds(1)).until(stack::isUp);
                LOG.info("stack up again in {} ms (busy machine, backlog waiting)", ms(t0));
                assertThat(rc).as("up's exit code after SIGTERM").isEqualTo(143);
                assertThat(leftAtStop).as("part of the backlog was still waiting at the stop").isPositive();
                assertThat(stack.upLog()).contains("resuming from the savepoint");

                // (3) The duplicate of a request finished before the stop, while the backlog is worked off.
                t.sendText(done, sentence(done));
                t.flush();

                // (4) kill -9 of the task manager meanwhile: up restarts it, the bridge reports the job's state.
                FlinkRestClient flink = new FlinkRestClient(URI.create("http://localhost:" + stack.flinkPort));
                try (ReadinessLog readiness = new ReadinessLog(stack.bridgePort)) {
                    long tm = stack.pid("tm1");
                    ProcessHandle.of(tm).ifPresent(ProcessHandle::destroyForcibly);
                    t0 = System.nanoTime();
                    await().atMost(SETTLE).until(() -> stack.upLog().contains("task manager tm1 is back"));
                    await().atMost(SETTLE).until(() -> jobRunning(flink));
                    LOG.info("task manager tm1 (pid {}) killed; up restarted it and the job runs again after {} ms",
                            tm, ms(t0));
                    assertThat(stack.upLog()).contains("the task manager tm1 (pid " + tm + ") died")
                            .contains("last lines of its log");
                    assertThat(readiness.reasons()).as("readiness reasons while the task manager was gone")
                            .anyMatch(r -> r.contains("the pipeline job 'streaminfer-local'"));
                }

                await().atMost(SETTLE).pollInterval(Duration.ofSeconds(1))
                        .until(() -> t.allFinal(backlog) && t.results.get(done).size() >= 2);
                for (String id : concat(before, backlog)) {
                    assertThat(t.finalStates(id)).as("final states of %s: %s", id, t.statuses(id)).hasSize(1);
                }
                // A request may time out in the job's queue (async.timeout-ms) when the machine is slow enough; that
                // is its one final state. Any other failure of a valid request is a bug.
                Map<String, Long> outcomes = concat(before, small, large).stream().collect(Collectors.groupingBy(
                        t::outcome, TreeMap::new, Collectors.counting()));
                LOG.info("outcomes of the valid requests: {}", outcomes);
                assertThat(outcomes.keySet()).as("outcomes of the valid requests").isSubsetOf("SUCCEEDED",
                        "FAILED TIMEOUT");
                assertThat(t.outcome(done)).isEqualTo("SUCCEEDED");
                for (String id : malformed) {
                    assertThat(t.outcome(id)).as(id).isEqualTo("FAILED MALFORMED_REQUEST");
                }
                assertThat(t.statuses(done)).as("no new status for the finished ID: not run again")
                        .isEqualTo(doneStatuses);
                List<byte[]> doneResults = t.results.values(done);
                assertThat(doneResults.get(doneResults.size() - 1)).as("the stored result, replayed")
                        .isEqualTo(doneResult);

                // (5) And the bridge serves.
                Http.Answer answer = new Http(stack.bridgePort, null).post("/v2/models/" + MODEL + "/infer",
                        Http.text("after", "A man is eating food."));
                assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            }
        }
    }

    private static boolean jobRunning(FlinkRestClient flink) throws IOException {
        for (JsonNode j : flink.jobsOverview()) {
            if ("RUNNING".equals(j.path("state").asText())) {
                return FlinkRestClient.allTasksRunning(flink.job(j.path("jid").asText()));
            }
        }
        return false;
    }

    /** The local stack's topics: a producer of requests, collectors of results and statuses. */
    private static final class Traffic implements AutoCloseable {
        final TopicCollector results;
        final TopicCollector status;
        private final KafkaProducer<byte[], byte[]> producer;

        Traffic(String bootstrap) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            results = new TopicCollector(bootstrap, Topics.RESULTS, "read_uncommitted");
            status = new TopicCollector(bootstrap, Topics.STATUS, "read_uncommitted");
        }

        void sendText(String id, String text) {
            send(id, RealTexts.request(id, text)); // JSON-escaped: real texts have quotes and backslashes
        }

        void sendMalformed(String id) {
            send(id, "{\"inputs\": [not json".getBytes(StandardCharsets.UTF_8));
        }

        private void send(String id, byte[] body) {
            RecordHeaders h = new RecordHeaders();
            h.add(KafkaContract.HEADER_MODEL, MODEL.getBytes(StandardCharsets.UTF_8));
            producer.send(new ProducerRecord<>(Topics.REQUESTS, null, null, id.getBytes(StandardCharsets.UTF_8),
                    body, h));
        }

        void flush() {
            producer.flush();
        }

        List<StatusRecord> statuses(String id) {
            return status.values(id).stream().map(StatusRecord::fromJson).toList();
        }

        Set<RequestState> finalStates(String id) {
            Set<RequestState> s = EnumSet.noneOf(RequestState.class);
            statuses(id).stream().filter(r -> r.state().isFinal()).forEach(r -> s.add(r.state()));
            return s;
        }

        /** "SUCCEEDED", or the final state and its error code ("FAILED TIMEOUT"). */
        String outcome(String id) {
            StatusRecord last = statuses(id).stream().filter(r -> r.state().isFinal()).reduce((a, b) -> b)
                    .orElseThrow();
            return last.state() + (last.errorCode() == null ? "" : " " + last.errorCode());
        }

        boolean hasFinal(String id) {
            return !finalStates(id).isEmpty();
        }

        boolean allFinal(List<String> ids) {
            return ids.stream().allMatch(this::hasFinal);
        }

        @Override
        public void close() throws InterruptedException {
            producer.close();
            results.close();
            status.close();
        }
    }

    /** The bridge's readiness reasons, sampled every 100 ms until closed. */
    private static final class ReadinessLog implements AutoCloseable {
        private final Set<String> reasons = new CopyOnWriteArraySet<>();
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "readiness-log");
            t.setDaemon(true);
            return t;
        });

        ReadinessLog(int port) {
            Http http = new Http(port, null);
            sampler.scheduleWithFixedDelay(() -> {
                try {
                    JsonNode body = http.get("/v2/health/ready").json();
                    if (body.has("reason")) {
                        reasons.add(body.get("reason").asText());
                    }
                    if (body.has("pipeline_job")) { // the job's state while the replica stays ready (issue 29)
                        reasons.add(body.get("pipeline_job").asText());
                    }
                } catch (RuntimeException | AssertionError e) {
                    // the bridge restarts or is busy: keep sampling (a task that throws is not run again)
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
        }

        Set<String> reasons() {
            return reasons;
        }

        @Override
        public void close() throws InterruptedException {
            sampler.shutdownNow();
            sampler.awaitTermination(5, TimeUnit.SECONDS);
            LOG.info("bridge readiness reasons seen: {}", reasons);
        }
    }

    /** Threads that keep the CPUs busy, as other work on the machine would. */
    private static final class Busy implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean running = true;

        Busy(int n) {
            for (int i = 0; i < n; i++) {
                Thread th = new Thread(() -> {
                    long x = 0;
                    while (running) {
                        x ^= System.nanoTime();
                    }
                    if (x == 42) {
                        LOG.trace("unlikely");
                    }
                }, "busy-" + i);
                th.setDaemon(true);
                th.start();
                threads.add(th);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            for (Thread th : threads) {
                th.join();
            }
        }
    }

    private static List<String> ids(String tag, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("restart-" + tag + "-" + i);
        }
        return ids;
    }

    private static String sentence(String id) {
        return "Request " + id + " asks for the embedding of a short sentence.";
    }

    /** A few hundred KB of text: far beyond the model's 256 tokens, which it truncates to. */
    private static String largeText(String id) {
        StringBuilder sb = new StringBuilder(LARGE_CHARS + 64).append(id);
        while (sb.length() < LARGE_CHARS) {
            sb.append(" the quick brown fox jumps over the lazy dog");
        }
        return sb.toString();
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        return Stream.of(lists).flatMap(List::stream).toList();
    }

    private static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
