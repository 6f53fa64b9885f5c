package io.streaminfer.job.tools.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

/**
 * OpenAI's files and batches API over HTTP, as the bridge serves it (docs/batch.md): what {@code deploy/bin/batch}
 * uses, and nothing else. A file is streamed from disk, never read whole into memory; so is a download.
 *
 * <pre>{@code
 * BatchApiClient api = new BatchApiClient(URI.create("http://localhost:8080"), token);
 * String fileId = api.upload(Path.of("in.jsonl")).get("id").asText();
 * JsonNode batch = api.create(fileId, "/v1/embeddings", "24h", Map.of());
 * }</pre>
 */
public final class BatchApiClient {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;
    private final String token;

    /** An answer other than 2xx: its status and OpenAI's error message. */
    public static final class ApiError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        ApiError(int status, String message) {
            super(status + ": " + message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** @param base the bridge, e.g. {@code http://localhost:8080}; {@code token} null when auth is off */
    public BatchApiClient(URI base, String token) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        this.token = token;
    }

    /** {@code POST /v1/files} of a JSONL file with purpose batch; the file object. */
    public JsonNode upload(Path file) throws IOException {
        String boundary = "----streaminfer" + HexFormat.of().formatHex(randomBytes());
        String name = file.getFileName().toString().replace("\"", "");
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                HttpRequest.BodyPublishers.ofFile(file), HttpRequest.BodyPublishers.ofByteArray(tail));
        return send(request("/v1/files").timeout(Duration.ofMinutes(30))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(body).build());
    }

    /** {@code POST /v1/batches}; the batch object ({@code validating}). */
    public JsonNode create(String inputFileId, String endpoint, String completionWindow, Map<String, String> metadata) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("input_file_id", inputFileId);
        o.put("endpoint", endpoint);
        o.put("completion_window", completionWindow);
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = o.putObject("metadata");
            metadata.forEach(m::put);
        }
        return post("/v1/batches", o.toString());
    }

    public JsonNode batch(String batchId) {
        return send(request("/v1/batches/" + encode(batchId)).GET().build());
    }

    public JsonNode cancel(String batchId) {
        return post("/v1/batches/" + encode(batchId) + "/cancel", "");
    }

    /** {@code GET /v1/batches}: newest first; {@code after} null for the first page. */
    public JsonNode list(String after, int limit) {
        return send(request("/v1/batches?limit=" + limit + (after == null ? "" : "&after=" + encode(after)))
                .GET().build());
    }

    public JsonNode file(String fileId) {
        return send(request("/v1/files/" + encode(fileId)).GET().build());
    }

    /** The file's bytes into {@code target}, streamed. */
    public void download(String fileId, Path target) throws IOException {
        try (InputStream in = content(fileId)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The file's bytes as a stream; close it. */
    public InputStream content(String fileId) throws IOException {
        HttpResponse<InputStream> r;
        try {
            r = http.send(request("/v1/files/" + encode(fileId) + "/content").timeout(Duration.ofMinutes(30))
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (r.statusCode() / 100 != 2) {
            String body;
            try (InputStream in = r.body()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            throw error(r.statusCode(), body);
        }
        return r.body();
    }

    private JsonNode post(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (token != null && !token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private JsonNode send(HttpRequest request) {
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + base + ": " + (e.getMessage() != null ? e.getMessage()
                    : e.getClass().getSimpleName()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (r.statusCode() / 100 != 2) {
            throw error(r.statusCode(), r.body());
        }
        try {
            return OipJson.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new ApiError(r.statusCode(), "not JSON: " + r.body());
        }
    }

    private static ApiError error(int status, String body) {
        try {
            JsonNode e = OipJson.MAPPER.readTree(body).path("error");
            String message = e.isTextual() ? e.textValue() : e.path("message").asText(body);
            return new ApiError(status, message);
        } catch (IOException | RuntimeException x) {
            return new ApiError(status, body);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
