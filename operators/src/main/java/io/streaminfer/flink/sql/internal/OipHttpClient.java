package io.streaminfer.flink.sql.internal;

import io.streaminfer.contract.ErrorCode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs OIP bodies to one server, retrying what is transient: connection errors, timeouts, 429 (after its
 * {@code Retry-After}, up to the longest backoff) and 5xx other than 500/501 (OIP servers answer 500 when the model
 * failed on the input, which a retry would only repeat; the batcher isolates such rows instead). Exponential backoff
 * with jitter, never past the caller's deadline. Other answers come back as they are. What retries did not cure is
 * TIMEOUT, OVERLOADED or INTERNAL, never MODEL_ERROR (which the batcher would re-run in halves, each with retries).
 */
public final class OipHttpClient {
    private static final Logger LOG = LoggerFactory.getLogger(OipHttpClient.class);

    /** The final answer: a status and a body, or a failure that retries did not cure. */
    public record Answer(int status, byte[] body, ErrorCode failure, String reason) {
    }

    private final HttpClient http;
    private final Duration timeout;
    private final int maxAttempts;
    private final long initialBackoffMs;
    private final long maxBackoffMs;
    private final String token;

    public OipHttpClient(long timeoutMs, int maxAttempts, long initialBackoffMs, long maxBackoffMs, String token) {
        this.timeout = Duration.ofMillis(timeoutMs);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(Math.min(timeoutMs, 10_000)))
                .version(HttpClient.Version.HTTP_1_1).build();
        this.maxAttempts = maxAttempts;
        this.initialBackoffMs = initialBackoffMs;
        this.maxBackoffMs = maxBackoffMs;
        this.token = token;
    }

    /** GET, one attempt (metadata at planning time). */
    public Answer get(String url) {
        try {
            HttpResponse<byte[]> r = http.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r.body(), null, null);
        } catch (IOException e) {
            return new Answer(0, null, ErrorCode.MODEL_ERROR, "cannot reach " + url + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, null, ErrorCode.INTERNAL, "interrupted");
        }
    }

    /**
     * @param what names the call in log lines (the rows' ids)
     * @param deadlineEpochMs no attempt starts after it
     */
    public Answer post(String url, byte[] body, String what, long deadlineEpochMs) throws InterruptedException {
        long backoff = initialBackoffMs;
        Answer last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            long wait = 0;
            try {
                HttpResponse<byte[]> r = http.send(request(url).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                int s = r.statusCode();
                if (s == 429) {
                    last = new Answer(s, r.body(), ErrorCode.OVERLOADED, "the server is overloaded (HTTP 429)");
                    wait = r.headers().firstValue("Retry-After").map(OipHttpClient::seconds).orElse(-1L);
                } else if (s >= 502 && s <= 599) {
                    last = new Answer(s, r.body(), s == 504 ? ErrorCode.TIMEOUT : ErrorCode.INTERNAL,
                            "the server answered HTTP " + s);
                } else {
                    return new Answer(s, r.body(), null, null);
                }
            } catch (HttpTimeoutException e) {
                last = new Answer(0, null, ErrorCode.TIMEOUT, "no answer from " + url + " within " + timeout.toMillis()
                        + " ms (remote.timeout-ms)");
            } catch (IOException e) {
                last = new Answer(0, null, ErrorCode.INTERNAL, "cannot reach " + url + ": " + describe(e));
            }
            if (attempt == maxAttempts) {
                break;
            }
            long delay = wait >= 0 ? Math.min(wait, maxBackoffMs)
                    : ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1);
            backoff = Math.min(maxBackoffMs, Math.max(1, backoff * 2));
            if (System.currentTimeMillis() + delay >= deadlineEpochMs) {
                last = new Answer(last.status(), last.body(), last.failure(), last.reason() + "; no time left for "
                        + "another attempt before the rows' deadline");
                break;
            }
            LOG.warn("{}: {} (attempt {} of {}); retrying in {} ms", what, last.reason(), attempt, maxAttempts,
                    delay);
            Thread.sleep(delay); // a backoff: nothing to await but time
        }
        return new Answer(last.status(), last.body(), last.failure(), last.reason() + " after " + maxAttempts
                + " attempt(s) at most (remote.max-attempts)");
    }

    private HttpRequest.Builder request(String url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private static long seconds(String retryAfter) {
        try {
            return Long.parseLong(retryAfter.trim()) * 1000;
        } catch (NumberFormatException e) {
            return -1; // an HTTP date: use the backoff
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
