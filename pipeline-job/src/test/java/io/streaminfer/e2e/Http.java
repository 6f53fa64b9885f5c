package io.streaminfer.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A small HTTP client for the end-to-end tests: JSON in, status + JSON out. */
public final class Http {
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    final String base;
    final String token;

    public Http(int port, String token) {
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    public record Answer(int status, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            try {
                return OipJson.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    HttpRequest.Builder request(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    public Answer get(String path, String... headers) {
        return send(request(path, headers).GET().build());
    }

    public Answer post(String path, String body, String... headers) {
        return send(request(path, headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    public CompletableFuture<Answer> postAsync(String path, String body, String... headers) {
        return client.sendAsync(request(path, headers).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> new Answer(r.statusCode(), r.body(), r));
    }

    Answer send(HttpRequest request) {
        try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public static String text(String id, String... sentences) {
        StringBuilder data = new StringBuilder();
        for (String s : sentences) {
            data.append(data.length() == 0 ? "" : ",").append('"').append(s.replace("\"", "\\\"")).append('"');
        }
        return "{" + (id == null ? "" : "\"id\":\"" + id + "\",")
                + "\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[" + sentences.length
                + "],\"data\":[" + data + "]}]}";
    }
}
