package io.streaminfer.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A server-sent event client for the end-to-end tests: one HTTP connection (HttpURLConnection, so {@link #close()}
 * really closes its socket: the disconnect the bridge must act on), its events parsed as the SSE specification and
 * the official OpenAI clients do (blank line ends an event, {@code :} lines are comments).
 */
final class SseStream implements AutoCloseable {
    /** One event; {@code id} and {@code event} null when the server sent none. */
    record Event(String id, String event, String data) { }

    private final HttpURLConnection connection;
    private final int status;
    private BufferedReader reader;
    private int comments;

    private SseStream(HttpURLConnection connection) throws IOException {
        this.connection = connection;
        this.status = connection.getResponseCode();
    }

    static SseStream get(int port, String path, String token, Map<String, String> headers) {
        return open(port, "GET", path, token, headers, null);
    }

    static SseStream post(int port, String path, String token, String body) {
        return open(port, "POST", path, token, Map.of(), body);
    }

    private static SseStream open(int port, String method, String path, String token, Map<String, String> headers,
            String body) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                    .openConnection();
            c.setRequestMethod(method);
            c.setConnectTimeout(5_000);
            c.setReadTimeout(90_000);
            c.setRequestProperty("Accept", "text/event-stream");
            if (token != null) {
                c.setRequestProperty("Authorization", "Bearer " + token);
            }
            headers.forEach(c::setRequestProperty);
            if (body != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body.getBytes(StandardCharsets.UTF_8));
                }
            }
            return new SseStream(c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int status() {
        return status;
    }

    String header(String name) {
        return connection.getHeaderField(name);
    }

    /** The body of a response that is not a stream (an error). */
    String body() {
        try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next event; null at the end of the stream. */
    Event next() {
        try {
            if (reader == null) {
                reader = new BufferedReader(new InputStreamReader(connection.getInputStream(),
                        StandardCharsets.UTF_8));
            }
            String id = null;
            String event = null;
            StringBuilder data = null;
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isEmpty()) {
                    if (data != null) {
                        return new Event(id, event, data.toString());
                    }
                    continue;
                }
                if (line.startsWith(":")) {
                    comments++;
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String d = line.substring(5);
                    d = d.startsWith(" ") ? d.substring(1) : d;
                    data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Comment lines ({@code :}) read so far: the keep-alives. */
    int comments() {
        return comments;
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
