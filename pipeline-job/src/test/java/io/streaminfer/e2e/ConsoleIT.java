package io.streaminfer.e2e;

import static io.streaminfer.e2e.GenerationBridgeIT.EMBEDDER;
import static io.streaminfer.e2e.GenerationBridgeIT.MODEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The bridge's web console in a real headless browser (Debian's {@code chromium}, over the DevTools protocol) on the
 * real stack: it loads behind the bridge's auth with the token entered on the page, lists the served models, shows
 * the bridge and the job ready, streams a generation in the playground chunk by chunk, answers an OIP call, charts
 * the calls per model and lists the jobs. Each test saves a screenshot under target/ and prints its path.
 */
class ConsoleIT {
    static final String TOKEN = "console-token-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(120);

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static HeadlessChromium browser;

    @BeforeAll
    static void start() throws Exception {
        Path chromium = DebianPackages.required("chromium", "chromium");
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "console-e2e").startJob(c -> c.models.serve = List.of(EMBEDDER, MODEL));
        bridge = stack.startBridge(stack.bridgeYaml("console-a", "auth:\n  tokens: [" + TOKEN + "]\n"
                + "callbacks:\n  enabled: false\n"));
        await().atMost(WAIT).until(bridge::isReady);
        Path profile = Files.createTempDirectory("si-chromium");
        browser = HeadlessChromium.start(chromium, profile);
        // The token as a user enters it: the field at the top, saved in the page's local storage.
        browser.open(home());
        browser.eval("document.getElementById('token').value = '" + TOKEN + "'; "
                + "document.getElementById('token-form').requestSubmit(); true");
    }

    static String home() {
        return "http://127.0.0.1:" + bridge.port() + "/console/";
    }

    @AfterAll
    static void stop() throws Exception {
        BridgeStack.closeAll(browser, bridge, stack, kafka);
    }

    @AfterEach
    void screenshot(TestInfo test) throws Exception {
        if (browser == null) {
            return;
        }
        Path dir = Path.of("target", "console-screenshots").toAbsolutePath();
        Files.createDirectories(dir);
        Path png = dir.resolve(test.getTestMethod().orElseThrow().getName() + ".png");
        browser.screenshot(png);
        System.out.println("Console screenshot: " + png);
    }

    @Test
    void showsTheModelsAndTheStackReady() {
        browser.open(home()); // again: the token is in local storage now
        await().atMost(WAIT).untilAsserted(() -> assertThat(texts("#models tbody tr", "dataset.model"))
                .contains(EMBEDDER, MODEL));
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(browser.eval("document.getElementById('st-bridge').textContent").asText()).isEqualTo("ready");
            assertThat(browser.eval("document.getElementById('st-job').textContent").asText()).isEqualTo("running");
        });
        assertThat(browser.eval("document.querySelector('#models tr[data-model=\"" + MODEL + "\"]').cells[1]"
                + ".textContent").asText()).isEqualTo("generative");
        assertThat(browser.eval("document.getElementById('notice').hidden").asBoolean())
                .as("no complaint about the token").isTrue();
    }

    @Test
    void streamsAGenerationInThePlaygroundChunkByChunk() {
        choose(MODEL);
        browser.eval("document.getElementById('pg-max-tokens').value = '32'; "
                + "document.getElementById('pg-send').click(); true");
        // Chunks arrive while the stream is open: seen before its end.
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(browser.eval("(o => o.dataset.state === 'running' && Number(o.dataset.chunks) > 0)"
                        + "(document.getElementById('pg-output'))").asBoolean())
                        .as("a chunk shown while the generation still streams").isTrue());
        await().atMost(WAIT).untilAsserted(() -> assertThat(output("state")).isEqualTo("done"));
        String text = browser.eval("document.getElementById('pg-output').textContent").asText();
        assertThat(text).isNotBlank();
        assertThat(Integer.parseInt(output("chunks"))).as("chunks in %s", text).isGreaterThan(1);
        System.out.println("The playground streamed: " + text.replace('\n', ' '));
    }

    @Test
    void answersAnInferCallChartsItAndListsTheJobs() {
        choose(EMBEDDER);
        browser.eval("document.getElementById('pg-send').click(); true");
        await().atMost(WAIT).untilAsserted(() -> assertThat(output("state")).isEqualTo("done"));
        JsonNode answer = browser.eval("JSON.parse(document.getElementById('pg-output').textContent)");
        assertThat(answer.path("model_name").asText()).isEqualTo(EMBEDDER);
        assertThat(answer.path("outputs")).isNotEmpty();
        // A job, followed on its event stream.
        browser.eval("document.getElementById('pg-job').click(); true");
        await().atMost(WAIT).untilAsserted(() -> assertThat(output("state")).isEqualTo("done"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(texts("#jobs tbody tr[data-model='" + EMBEDDER + "']",
                "dataset.state")).contains("SUCCEEDED"));
        // The live chart: calls per second of this model drawn above zero (the bridge's /metrics, read every 2 s).
        await().atMost(WAIT).untilAsserted(() -> assertThat(browser.eval("Number(document.querySelector("
                + "'#live .card[data-model=\"" + EMBEDDER + "\"] svg.rps').dataset.max || 0)").asDouble())
                .isPositive());
    }

    private static void choose(String model) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(texts("#pg-model option", "value")).contains(model));
        browser.eval("(s => { s.value = '" + model + "'; s.dispatchEvent(new Event('change')); return true; })"
                + "(document.getElementById('pg-model'))");
    }

    private static String output(String data) {
        return browser.eval("document.getElementById('pg-output').dataset." + data).asText();
    }

    private static List<String> texts(String selector, String property) {
        List<String> out = new ArrayList<>();
        browser.eval("[...document.querySelectorAll(\"" + selector + "\")].map(e => e." + property + ")")
                .forEach(n -> out.add(n.asText()));
        return out;
    }
}
