package io.streaminfer.flink.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.streaminfer.batching.BatcherListener;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.TestModels;
import io.streaminfer.tracing.TracingSettings;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The job's SDK: off is no SDK at all; on, spans reach Zipkin's v2 API (the local stack's viewer) through the Zipkin
 * exporter and the JDK's URL connection; parentage follows the request's traceparent; a batch span is kept when a
 * request it links is sampled, whatever the root ratio.
 */
class JobTracingTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private HttpServer zipkin;
    private final ConcurrentLinkedQueue<String> posted = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() throws Exception {
        System.setProperty("otel.bsp.schedule.delay", "50");
        zipkin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        zipkin.createContext("/api/v2/spans", exchange -> {
            try (exchange) {
                posted.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(202, -1);
            }
        });
        zipkin.start();
    }

    @AfterEach
    void stop() {
        zipkin.stop(0);
        System.clearProperty("otel.bsp.schedule.delay");
    }

    private TracingSettings zipkin(double ratio) {
        return TracingSettings.builder().enabled(true).samplerRatio(ratio).exporter(TracingSettings.Exporter.ZIPKIN)
                .endpoint("http://127.0.0.1:" + zipkin.getAddress().getPort() + "/api/v2/spans")
                .serviceName("job-test").build();
    }

    @Test
    void offIsNoSdk() {
        assertThat(JobTracing.acquire(TracingSettings.off())).isNull();
        assertThat(JobTracing.acquire(null)).isNull();
    }

    @Test
    void spansOfASampledRequestReachZipkinAsChildrenOfItsContextAndABatchSpanFollowsItsLinks() {
        JobTracing tracing = JobTracing.acquire(zipkin(0));
        try {
            String traceparent = "00-" + TRACE + "-00f067aa0ba902b7-01";
            Span s = tracing.startChild("queue tiny", SpanKind.INTERNAL, traceparent, null, JobTracing.nowNanos());
            assertThat(s.getSpanContext().getTraceId()).isEqualTo(TRACE);
            assertThat(s.getSpanContext().isSampled()).as("parent-based: the caller sampled it").isTrue();
            s.end();
            Span unsampled = tracing.startChild("queue tiny", SpanKind.INTERNAL,
                    "00-" + TRACE.replace('4', '5') + "-00f067aa0ba902b7-00", null, JobTracing.nowNanos());
            assertThat(unsampled.isRecording()).isFalse();
            unsampled.end();

            tracing.link("r-1", traceparent, null);
            tracing.link("r-2", "00-" + TRACE.replace('4', '6') + "-00f067aa0ba902b7-00", null);
            assertThat(tracing.linkOf("r-2")).as("only sampled requests are linked").isNull();
            ModelVersion tiny = TestModels.repository().resolve(TestModels.TINY_MLP, null);
            new TracedBatches(BatcherListener.NO_OP, tracing, tiny)
                    .onCall(List.of("r-1", "r-2", "r-3"), 3, 3, 1_000_000, false);

            await().atMost(Duration.ofSeconds(20))
                    .until(() -> String.join("", posted).contains("\"batch tiny-mlp\""));
            String all = String.join("", posted);
            assertThat(all).contains("\"queue tiny\"").contains(TRACE).contains("\"job-test\"")
                    .contains("\"parentId\":\"00f067aa0ba902b7\"");
        } finally {
            tracing.release();
        }
    }

    @Test
    void invalidSettingsListEveryProblem() {
        assertThatThrownBy(() -> TracingSettings.builder().samplerRatio(1.5).endpoint("localhost:4318")
                .serviceName(" ").build()).hasMessageContaining("sampler-ratio").hasMessageContaining("endpoint")
                .hasMessageContaining("service-name");
    }
}
