package io.streaminfer.bridge.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.bridge.infer.StreamSlots;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Event streams on a real Vert.x server: keep-alive comments when idle, the bound on open ones, a client leaving. */
class SseTest {
    private Vertx vertx;
    private HttpServer server;
    private final AtomicInteger gone = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        StreamAdmission streams = new StreamAdmission(vertx, new StreamSlots(1), 100, 1, new BridgeMetrics());
        Router r = Router.router(vertx);
        r.get("/idle").handler(ctx -> {
            if (streams.admit(ctx)) {
                streams.open(ctx, gone::incrementAndGet).event("hello", "0", "{}");
            }
        });
        r.get("/short").handler(ctx -> {
            if (streams.admit(ctx)) {
                Sse sse = streams.open(ctx, gone::incrementAndGet);
                sse.data("{\"n\":1}");
                sse.end();
            }
        });
        server = vertx.createHttpServer().requestHandler(r).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private HttpURLConnection get(String path) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + server.actualPort() + path).toURL()
                .openConnection();
        c.setReadTimeout(5_000);
        return c;
    }

    @Test
    void anIdleStreamGetsCommentLinesAndTheNextStreamWaitsForItsSlot() throws Exception {
        HttpURLConnection idle = get("/idle");
        assertThat(idle.getResponseCode()).isEqualTo(200);
        assertThat(idle.getHeaderField("Content-Type")).isEqualTo("text/event-stream");
        BufferedReader in = new BufferedReader(new InputStreamReader(idle.getInputStream(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).isEqualTo("id: 0");
        int comments = 0;
        for (String line; comments < 2 && (line = in.readLine()) != null; ) {
            comments += line.startsWith(":") ? 1 : 0;
        }
        assertThat(comments).as("keep-alives on an idle stream").isEqualTo(2);

        HttpURLConnection refused = get("/short");
        assertThat(refused.getResponseCode()).isEqualTo(429);
        assertThat(refused.getHeaderField("Retry-After")).isEqualTo("1");

        idle.disconnect();
        await().atMost(Duration.ofSeconds(10)).until(() -> gone.get() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/short").getResponseCode() == 200);
    }

    @Test
    void aStreamThatEndsReleasesItsSlotAndNobodyLeft() throws Exception {
        for (int i = 0; i < 3; i++) {
            HttpURLConnection c = get("/short");
            assertThat(c.getResponseCode()).isEqualTo(200);
            assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("data: {\"n\":1}\n\n");
        }
        assertThat(gone).hasValue(0);
    }
}
