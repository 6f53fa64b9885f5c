package io.streaminfer.tracing.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spans to Zipkin's v2 JSON API ({@code POST /api/v2/spans}) with the JDK's HTTP client. OpenTelemetry's own Zipkin
 * exporter ended at 1.55.0 and does not run on the current SDK. Zipkin has no links: a span's links become the tag
 * {@code otel.links} ("traceId-spanId,..."), so a batch span names the requests it carried.
 */
public final class ZipkinJsonExporter implements SpanExporter {
    private static final Logger LOG = LoggerFactory.getLogger(ZipkinJsonExporter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    private final URI endpoint;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile boolean warned;

    public ZipkinJsonExporter(URI endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(json(spans));
        } catch (Exception e) {
            return CompletableResultCode.ofFailure();
        }
        CompletableResultCode result = new CompletableResultCode();
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, error) -> {
            if (error == null && r.statusCode() / 100 == 2) {
                result.succeed();
                return;
            }
            if (!warned) { // once: a viewer that is not running must not flood the log
                warned = true;
                LOG.warn("Zipkin at {} did not take {} span(s): {}", endpoint, spans.size(),
                        error != null ? error.toString() : "HTTP " + r.statusCode());
            }
            result.fail();
        });
        return result;
    }

    static ArrayNode json(Collection<SpanData> spans) {
        ArrayNode out = JSON.createArrayNode();
        for (SpanData s : spans) {
            ObjectNode z = out.addObject();
            z.put("traceId", s.getTraceId());
            z.put("id", s.getSpanId());
            if (s.getParentSpanContext().isValid()) {
                z.put("parentId", s.getParentSpanId());
            }
            z.put("name", s.getName());
            if (s.getKind() != SpanKind.INTERNAL) {
                z.put("kind", s.getKind().name());
            }
            z.put("timestamp", s.getStartEpochNanos() / 1_000);
            z.put("duration", Math.max(1, (s.getEndEpochNanos() - s.getStartEpochNanos()) / 1_000));
            String service = s.getResource().getAttribute(SERVICE_NAME);
            z.putObject("localEndpoint").put("serviceName", service == null ? "unknown" : service);
            ObjectNode tags = z.putObject("tags");
            s.getAttributes().forEach((k, v) -> tags.put(k.getKey(), String.valueOf(v)));
            if (s.getStatus().getStatusCode() == StatusCode.ERROR) {
                tags.put("error", s.getStatus().getDescription().isEmpty() ? "true" : s.getStatus().getDescription());
            }
            if (!s.getLinks().isEmpty()) {
                StringJoiner links = new StringJoiner(",");
                for (LinkData l : s.getLinks()) {
                    links.add(l.getSpanContext().getTraceId() + "-" + l.getSpanContext().getSpanId());
                }
                tags.put("otel.links", links.toString());
            }
            if (!s.getEvents().isEmpty()) {
                ArrayNode annotations = z.putArray("annotations");
                for (EventData e : s.getEvents()) {
                    annotations.addObject().put("timestamp", e.getEpochNanos() / 1_000).put("value", e.getName());
                }
            }
        }
        return out;
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
