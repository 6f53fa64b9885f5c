package io.streaminfer.e2e;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace receiver for tests: a JDK HTTP server on loopback that takes {@code POST /v1/traces} with an
 * {@code ExportTraceServiceRequest} (http/protobuf, as OpenTelemetry's exporters send it) and keeps every span.
 */
final class OtlpReceiver implements AutoCloseable {
    /** One received span, its IDs in lower-case hex ("" for no parent). */
    record ReceivedSpan(String service, String traceId, String spanId, String parentSpanId, String name, String kind,
            Map<String, String> attributes, List<String[]> links) {
        /** The links as "traceId-spanId". */
        List<String> linkIds() {
            return links.stream().map(l -> l[0] + "-" + l[1]).toList();
        }
    }

    private final HttpServer server;
    private final ConcurrentLinkedQueue<ReceivedSpan> spans = new ConcurrentLinkedQueue<>();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/traces", this::export);
        server.start();
    }

    /** The base URL an exporter's endpoint names (it appends /v1/traces). */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<ReceivedSpan> spans() {
        return new ArrayList<>(spans);
    }

    List<ReceivedSpan> trace(String traceId) {
        return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    private void export(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                    ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body);
            for (ResourceSpans rs : request.getResourceSpansList()) {
                String service = attribute(rs.getResource(), "service.name");
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    ss.getSpansList().forEach(s -> spans.add(new ReceivedSpan(service, hex(s.getTraceId()),
                            hex(s.getSpanId()), hex(s.getParentSpanId()), s.getName(), s.getKind().name(),
                            attributes(s.getAttributesList()), s.getLinksList().stream()
                                    .map(l -> new String[] {hex(l.getTraceId()), hex(l.getSpanId())}).toList())));
                }
            }
            byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        }
    }

    private static String attribute(Resource r, String key) {
        return attributes(r.getAttributesList()).get(key);
    }

    private static Map<String, String> attributes(List<KeyValue> kvs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (KeyValue kv : kvs) {
            AnyValue v = kv.getValue();
            m.put(kv.getKey(), switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue();
                case INT_VALUE -> Long.toString(v.getIntValue());
                case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
                case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
                default -> v.toString();
            });
        }
        return m;
    }

    private static String hex(ByteString b) {
        return HexFormat.of().formatHex(b.toByteArray());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
