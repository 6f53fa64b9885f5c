package io.streaminfer.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real headless Chromium (Debian's {@code chromium}) driven over the Chrome DevTools protocol, the protocol its
 * own tools speak: open a page, evaluate JavaScript in it (awaiting promises), take a screenshot. One page.
 */
final class HeadlessChromium implements AutoCloseable {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, URI page) {
        this.process = process;
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(page, new Listener()).join();
    }

    static HeadlessChromium start(Path chromium, Path profile) throws IOException {
        int port = PrometheusServer.freePort();
        Path log = profile.resolveSibling(profile.getFileName() + ".log");
        Process p = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=" + port,
                "--remote-allow-origins=*", "--user-data-dir=" + profile, "--window-size=1280,1800", "about:blank")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        URI list = URI.create("http://127.0.0.1:" + port + "/json/list");
        String[] page = new String[1];
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("chromium ended with " + p.exitValue() + ":\n"
                            + Files.readString(log));
                }
                try {
                    for (JsonNode t : OipJson.MAPPER.readTree(http.send(HttpRequest.newBuilder(list).build(),
                            HttpResponse.BodyHandlers.ofString()).body())) {
                        if ("page".equals(t.path("type").asText())) {
                            page[0] = t.path("webSocketDebuggerUrl").asText();
                            return true;
                        }
                    }
                } catch (IOException e) {
                    return false; // not listening yet
                }
                return false;
            });
        } catch (RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
        HeadlessChromium c = new HeadlessChromium(p, URI.create(page[0]));
        c.call("Page.enable", OipJson.MAPPER.createObjectNode());
        c.call("Runtime.enable", OipJson.MAPPER.createObjectNode());
        return c;
    }

    /** Opens the URL and waits for its load event (module scripts run by then). */
    void open(String url) {
        ObjectNode params = OipJson.MAPPER.createObjectNode().put("url", url);
        JsonNode r = call("Page.navigate", params);
        if (r.hasNonNull("errorText")) {
            throw new IllegalStateException(url + ": " + r.get("errorText").asText());
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> "complete".equals(eval("document.readyState").asText()));
    }

    /** The value of a JavaScript expression in the page (a promise is awaited); throws what the page threw. */
    JsonNode eval(String expression) {
        ObjectNode params = OipJson.MAPPER.createObjectNode().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true);
        JsonNode r = call("Runtime.evaluate", params);
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException(expression + " threw: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** A PNG of the whole page. */
    void screenshot(Path file) throws IOException {
        ObjectNode params = OipJson.MAPPER.createObjectNode().put("format", "png")
                .put("captureBeyondViewport", true);
        Files.write(file, Base64.getDecoder().decode(call("Page.captureScreenshot", params).get("data").asText()));
    }

    private JsonNode call(String method, ObjectNode params) {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        calls.put(id, answer);
        ObjectNode message = OipJson.MAPPER.createObjectNode().put("id", id).put("method", method);
        message.set("params", params);
        socket.sendText(message.toString(), true).join();
        try {
            JsonNode m = answer.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (m.has("error")) {
                throw new IllegalStateException(method + ": " + m.get("error"));
            }
            return m.path("result");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(method + " got no answer", e);
        } finally {
            calls.remove(id);
        }
    }

    /** Answers matched to calls by ID; events (no ID) are not needed. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode m = OipJson.MAPPER.readTree(text.toString());
                    CompletableFuture<JsonNode> f = m.has("id") ? calls.get(m.get("id").asInt()) : null;
                    if (f != null) {
                        f.complete(m);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    text.setLength(0);
                }
            }
            ws.request(1);
            return null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            socket.sendText("{\"id\":0,\"method\":\"Browser.close\"}", true).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the process is ended below either way
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
