package io.streaminfer.bridge.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.bridge.jobs.JobView;
import io.streaminfer.bridge.testing.InMemoryResults;
import io.streaminfer.bridge.testing.TinyRepository;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's routes on a real Vert.x server: the redirects to {@code /console/}, its fixed set of files (nothing
 * else reaches the class loader), and its two JSON endpoints. Its pages in a real browser: ConsoleIT.
 */
class ConsoleRoutesTest {
    @TempDir
    Path repo;
    Vertx vertx;
    HttpServer server;
    JobView jobs;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        TinyRepository.create(repo);
        vertx = Vertx.vertx();
        jobs = new JobView(new InMemoryResults("inference.status", 1), "inference.status", "inference.callbacks", 100);
        Router router = Router.router(vertx);
        new ConsoleRoutes(ModelRepository.open(repo), jobs).mount(router);
        server = vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void theRootAndConsoleRedirectToItsPageWhichIsServedWithATightPolicy() throws Exception {
        for (String path : new String[] {"/", "/console"}) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(302);
            assertThat(r.headers().firstValue("Location")).contains(ConsoleRoutes.HOME);
        }
        HttpResponse<String> page = get("/console/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'self'");
        assertThat(page.body()).contains("<script type=\"module\" src=\"console.js\">");
        assertThat(get("/console/console.js").headers().firstValue("Content-Type"))
                .contains("text/javascript; charset=utf-8");
    }

    @Test
    void onlyItsOwnFilesAreServed() throws Exception {
        for (String path : new String[] {"/console/nope.js", "/console/ConsoleRoutes.class",
                "/console/..%2FConsoleRoutes.class", "/console/%2e%2e%2fconsole%2fConsoleRoutes.class"}) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(404);
        }
    }

    @Test
    void modelsSayTheirKindVersionsAndTensors() throws Exception {
        JsonNode tiny = json("/console/api/models").path("models").get(0);
        assertThat(tiny.path("name").asText()).isEqualTo("tiny");
        assertThat(tiny.path("kind").asText()).isEqualTo("tensor");
        assertThat(tiny.path("versions").toString()).isEqualTo("[\"1\"]");
        assertThat(tiny.path("inputs").get(0).toString())
                .isEqualTo("{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,4]}");
    }

    @Test
    void jobsLatestFirstWithTheBridgesOwnIdsCutShort() throws Exception {
        String ours = JobIds.async();
        jobs.noteSubmitted(ours, "tiny", "1");
        jobs.noteSubmitted("order-4711", "tiny", null);
        JsonNode answer = json("/console/api/jobs?limit=5");
        assertThat(answer.path("known").asInt()).isEqualTo(2);
        JsonNode first = answer.path("jobs").get(0);
        JsonNode second = answer.path("jobs").get(1);
        assertThat(first.path("id_shown").asText()).isEqualTo("order-4711");
        assertThat(first.path("id_complete").asBoolean()).isTrue();
        assertThat(first.path("kind").asText()).isEqualTo("kafka");
        assertThat(second.path("id_shown").asText()).isEqualTo(ours.substring(0, ConsoleJson.SHOWN_ID_CHARS));
        assertThat(second.path("id_complete").asBoolean()).isFalse();
        assertThat(second.path("kind").asText()).isEqualTo("job");
        assertThat(json("/console/api/jobs?limit=1").path("jobs")).hasSize(1);
    }

    @Test
    void aLimitOutOfRangeIsA400SayingTheRange() throws Exception {
        for (String limit : new String[] {"0", "201", "many"}) {
            HttpResponse<String> r = get("/console/api/jobs?limit=" + limit);
            assertThat(r.statusCode()).as(limit).isEqualTo(400);
            assertThat(r.body()).contains("limit must be a number from 1 to 200, got '" + limit + "'");
        }
    }

    private JsonNode json(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return OipJson.MAPPER.readTree(r.body());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
