package io.streaminfer.e2e;

import static io.streaminfer.e2e.GenerationBridgeIT.EMBEDDER;
import static io.streaminfer.e2e.GenerationBridgeIT.MODEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.deploy.MonitoringFiles;
import io.streaminfer.deploy.MonitoringFiles.Query;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * deploy/monitoring against the real thing: Debian's {@code prometheus} scrapes a running stack (the pipeline job in
 * a MiniCluster with Flink's Prometheus reporter, as {@code deploy/local/up --monitoring} configures it, and a bridge)
 * while the test sends sync calls, async jobs and streamed generations; then every recording rule and every query of
 * the Grafana dashboard must return data, and the fast burn-rate alert must fire for a latency objective the traffic
 * misses: the test's own objectives ask 99 % of sync calls within 2 ms, which no call through Kafka meets.
 */
class MonitoringIT {
    private static final Logger LOG = LoggerFactory.getLogger(MonitoringIT.class);
    private static final Duration WAIT = Duration.ofSeconds(180);

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static Http http;
    static PrometheusServer prometheus;
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        Path binary = DebianPackages.required("prometheus", "prometheus");
        kafka = EmbeddedKafka.start();
        int reporterPort = PrometheusServer.freePort();
        stack = new BridgeStack(kafka, "mon-e2e").startJob(c -> {
            c.models.serve = List.of(EMBEDDER, MODEL);
            // As deploy/local/_monitoring.sh configures the local stack's job (one port: the MiniCluster is one JVM).
            c.flink.put("metrics.reporter.prom.factory.class",
                    "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
            c.flink.put("metrics.reporter.prom.port", Integer.toString(reporterPort));
            c.flink.put("metrics.reporter.prom.filterLabelValueCharacters", "false");
        });
        bridge = stack.startBridge(stack.bridgeYaml("mon-a", "callbacks:\n  enabled: false\n"));
        http = new Http(bridge.port(), null);
        await().atMost(WAIT).until(bridge::isReady);
        dir = Files.createTempDirectory("si-prometheus");
        prometheus = PrometheusServer.start(binary, dir, Map.of(
                "flink", List.of("127.0.0.1:" + reporterPort),
                "bridge", List.of("127.0.0.1:" + bridge.port())), strictObjectives());
        LOG.info("Prometheus at {} (dir {}) scrapes the job's reporter on {} and the bridge on {}", prometheus.url(),
                dir, reporterPort, bridge.port());
    }

    /** deploy/monitoring's objectives with sync latency's bound lowered from 0.5 s to the first bucket, 2 ms. */
    static String strictObjectives() throws IOException {
        String shipped = Files.readString(MonitoringFiles.dir().resolve("rules/objectives.yml"));
        String strict = shipped.replace("expr: vector(0.5)", "expr: vector(0.002)")
                .replace("le: \"0.5\"", "le: \"0.002\"");
        assertThat(strict).as("objectives.yml's sync latency bound, 0.5 s, replaced").contains("vector(0.002)",
                "le: \"0.002\"");
        return strict;
    }

    @AfterAll
    static void stop() throws Exception {
        BridgeStack.closeAll(prometheus, bridge, stack, kafka);
    }

    @Test
    void everyRuleAndDashboardQueryReturnsDataAndTheMissedLatencyObjectiveAlerts() {
        List<Query> queries = new ArrayList<>(MonitoringFiles.recordingRules(dir.resolve("rules")));
        queries.addAll(MonitoringFiles.dashboardQueries());
        // Each round: traffic of every kind, then every query; until all answer or the time is up.
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            traffic();
            assertThat(broken()).as("rules Prometheus failed to evaluate").isEmpty();
            List<String> empty = queries.stream().filter(q -> prometheus.query(q.expr()).isEmpty())
                    .map(q -> q.source() + ": " + q.expr()).toList();
            assertThat(empty).as("queries without data (of %d)", queries.size()).isEmpty();
        });
        JsonNode firing = firing("StreaminferErrorBudgetBurnFast");
        assertThat(firing.path("labels").path("slo").asText()).isEqualTo("sync_latency");
        assertThat(firing.path("labels").path("severity").asText()).isEqualTo("page");
        assertThat(firing.path("annotations").path("summary").asText())
                .isEqualTo(EMBEDDER + " burns its sync_latency error budget 14.4 times too fast");
        LOG.info("{} rules and dashboard queries returned data; firing: {}", queries.size(), firing);
    }

    /** The fast burn alert for the embedder, once it fires (rules need a few evaluations to see the rates). */
    private static JsonNode firing(String alert) {
        List<JsonNode> found = new ArrayList<>();
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            traffic();
            found.clear();
            for (JsonNode a : prometheus.alerts()) {
                if (alert.equals(a.path("labels").path("alertname").asText())
                        && EMBEDDER.equals(a.path("labels").path("model").asText())
                        && "firing".equals(a.path("state").asText())) {
                    found.add(a);
                }
            }
            assertThat(found).as("%s firing for %s; alerts now: %s", alert, EMBEDDER, prometheus.alerts())
                    .isNotEmpty();
        });
        return found.get(0);
    }

    /** Rules whose last evaluation failed, with the error. */
    private static List<String> broken() {
        List<String> out = new ArrayList<>();
        for (JsonNode g : prometheus.rules()) {
            for (JsonNode r : g.path("rules")) {
                if ("err".equals(r.path("health").asText())) {
                    out.add(r.path("name").asText() + ": " + r.path("lastError").asText());
                }
            }
        }
        return out;
    }

    /** Sync calls, an async job and a streamed generation whose first token and inter-token gaps get measured. */
    private static void traffic() {
        for (int i = 0; i < 3; i++) {
            Http.Answer a = http.post("/v2/models/" + EMBEDDER + "/infer", Http.text(null, "The monitor sees call "
                    + i + "."));
            assertThat(a.status()).as(a.body()).isEqualTo(200);
        }
        Http.Answer job = http.post("/v1/jobs/" + EMBEDDER, Http.text(null, "An async job for the dashboard."));
        assertThat(job.status()).as(job.body()).isEqualTo(202);
        try (SseStream s = SseStream.post(bridge.port(), "/v1/completions", null, "{\"model\":\"" + MODEL
                + "\",\"prompt\":\"The state of the union\",\"stream\":true,\"max_tokens\":8}")) {
            assertThat(s.status()).isEqualTo(200);
            int events = 0;
            while (s.next() != null) {
                events++;
            }
            assertThat(events).as("streamed chunks").isPositive();
        }
    }
}
