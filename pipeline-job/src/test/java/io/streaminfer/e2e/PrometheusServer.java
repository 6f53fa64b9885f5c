package io.streaminfer.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.OipJson;
import io.streaminfer.deploy.MonitoringFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The real {@code prometheus} (Debian's package) on a temporary directory with deploy/monitoring's config and rules,
 * scraping and evaluating every second instead of every 5 s, its targets given as file_sd files the way
 * {@code deploy/local/up --monitoring} writes them; objectives.yml may be replaced (a test's own objectives).
 */
final class PrometheusServer implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final URI base;
    private final HttpClient http = HttpClient.newHttpClient();

    private PrometheusServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /**
     * @param targets scrape job ("flink", "bridge") to its host:port targets
     * @param objectives the rules to use in place of rules/objectives.yml; null keeps it
     */
    static PrometheusServer start(Path prometheus, Path dir, Map<String, List<String>> targets, String objectives)
            throws IOException {
        Path src = MonitoringFiles.dir();
        String config = Files.readString(src.resolve("prometheus.yml"))
                .replace("scrape_interval: 5s", "scrape_interval: 1s")
                .replace("evaluation_interval: 5s", "evaluation_interval: 1s");
        Files.writeString(dir.resolve("prometheus.yml"), config);
        Files.createDirectories(dir.resolve("rules"));
        for (Path f : MonitoringFiles.ruleFiles()) {
            Files.copy(f, dir.resolve("rules").resolve(f.getFileName()));
        }
        if (objectives != null) {
            Files.writeString(dir.resolve("rules/objectives.yml"), objectives);
        }
        Files.createDirectories(dir.resolve("targets"));
        int port = freePort();
        Map<String, List<String>> all = new HashMap<>(targets);
        all.putIfAbsent("prometheus", List.of("127.0.0.1:" + port));
        for (String job : List.of("flink", "bridge", "prometheus")) {
            String list = all.getOrDefault(job, List.of()).stream().map(t -> "\"" + t + "\"")
                    .collect(Collectors.joining(","));
            Files.writeString(dir.resolve("targets/" + job + ".json"), "[{\"targets\": [" + list + "]}]");
        }
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder(prometheus.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(p, log, port);
        await().atMost(Duration.ofSeconds(60)).until(server::ready);
        return server;
    }

    private boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException("prometheus ended with " + process.exitValue() + ":\n" + logTail());
        }
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("/-/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    URI url() {
        return base;
    }

    /** An instant query's result: the {@code data.result} array (empty: no data). */
    JsonNode query(String expr) {
        JsonNode r = get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        if (!"success".equals(r.path("status").asText())) {
            throw new IllegalStateException(expr + ": " + r);
        }
        return r.path("data").path("result");
    }

    /** The alerts, pending and firing: {@code data.alerts}. */
    JsonNode alerts() {
        return get("/api/v1/alerts").path("data").path("alerts");
    }

    /** The rule groups as Prometheus evaluates them ({@code /api/v1/rules}): each rule's health and last error. */
    JsonNode rules() {
        return get("/api/v1/rules").path("data").path("groups");
    }

    String logTail() {
        try (Stream<String> lines = Files.lines(log)) {
            List<String> all = lines.toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private JsonNode get(String pathAndQuery) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return OipJson.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
