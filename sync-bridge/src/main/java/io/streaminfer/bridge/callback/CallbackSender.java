package io.streaminfer.bridge.callback;

import io.streaminfer.bridge.jobs.CallbackOutcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs one signed callback, retrying with exponential backoff on connection errors, 5xx, 408 and 429; a 4xx
 * answer is final. Before any connection the host is resolved and checked against the {@link AddressPolicy}, and the
 * connection goes to the checked address (the URL's host stays in the Host header and TLS SNI).
 */
public final class CallbackSender implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CallbackSender.class);

    /** Settings of {@link CallbackSender}. */
    public static final class Settings {
        public int maxAttempts = 6;
        public long initialBackoffMs = 500;
        public long maxBackoffMs = 30_000;
        public long connectTimeoutMs = 5_000;
        public long requestTimeoutMs = 10_000;
    }

    /** Resolves host names; a seam so tests can check the policy on names that resolve to private addresses. */
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    private final Vertx vertx;
    private final HttpClientAgent client;
    private final AddressPolicy policy;
    private final Signatures signatures;
    private final Settings settings;
    private final Resolver resolver;

    public CallbackSender(Vertx vertx, AddressPolicy policy, Signatures signatures, Settings settings,
            Resolver resolver) {
        this.vertx = vertx;
        this.policy = policy;
        this.signatures = signatures;
        this.settings = settings;
        this.resolver = resolver;
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) settings.connectTimeoutMs)
                .setVerifyHost(true));
    }

    public static Resolver systemResolver() {
        return host -> Arrays.asList(InetAddress.getAllByName(host));
    }

    /** Delivers {@code body} to {@code url}; never completes exceptionally. Blocks only to resolve the host. */
    public CompletableFuture<CallbackOutcome> deliver(String jobId, String url, byte[] body) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return done(CallbackOutcome.of("REFUSED", url, 0, null, "not a URL: " + e.getMessage()));
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            return done(CallbackOutcome.of("REFUSED", url, 0, null, "callback URL must be absolute http(s)"));
        }
        if (uri.getUserInfo() != null) {
            return done(CallbackOutcome.of("REFUSED", url, 0, null, "callback URL must not carry credentials"));
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        List<InetAddress> addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            addresses = List.of();
        }
        String refusal = policy.refusal(host, addresses);
        if (refusal != null) {
            LOG.info("Callback of job {} refused: {}", jobId, refusal);
            return done(CallbackOutcome.of("REFUSED", url, 0, null, refusal));
        }
        int port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(url)
                .setServer(SocketAddress.inetSocketAddress(port, addresses.get(0).getHostAddress()))
                .setFollowRedirects(false) // a redirect could point anywhere: the policy checked this address only
                .setIdleTimeout(settings.requestTimeoutMs)
                .putHeader("Content-Type", "application/json")
                .putHeader(Signatures.HEADER, signatures.sign(body))
                .putHeader("X-StreamInfer-Job-Id", jobId);
        CompletableFuture<CallbackOutcome> result = new CompletableFuture<>();
        attempt(jobId, url, options, Buffer.buffer(body), 1, settings.initialBackoffMs, result);
        return result;
    }

    private void attempt(String jobId, String url, RequestOptions options, Buffer body, int attempt, long backoff,
            CompletableFuture<CallbackOutcome> result) {
        send(options, body).onComplete(ar -> {
            Integer status = ar.succeeded() ? ar.result() : null;
            if (status != null && status >= 200 && status < 300) {
                result.complete(CallbackOutcome.of("DELIVERED", url, attempt, status, null));
                return;
            }
            boolean retriable = status == null || status >= 500 || status == 408 || status == 429;
            String why = status == null ? String.valueOf(ar.cause()) : "HTTP " + status;
            if (!retriable || attempt >= settings.maxAttempts) {
                LOG.info("Callback of job {} failed after {} attempts: {}", jobId, attempt, why);
                result.complete(CallbackOutcome.of("FAILED", url, attempt, status,
                        retriable ? "gave up after " + attempt + " attempts: " + why : "refused by receiver: " + why));
                return;
            }
            LOG.debug("Callback of job {} attempt {} failed ({}); retrying in {} ms", jobId, attempt, why, backoff);
            vertx.setTimer(backoff, t -> attempt(jobId, url, options, body, attempt + 1,
                    Math.min(settings.maxBackoffMs, backoff * 2), result));
        });
    }

    private Future<Integer> send(RequestOptions options, Buffer body) {
        Promise<Integer> p = Promise.promise();
        client.request(options)
                .compose(req -> req.send(body))
                .compose(resp -> resp.body().map(ignored -> resp.statusCode()))
                .onComplete(p);
        return p.future();
    }

    private static CompletableFuture<CallbackOutcome> done(CallbackOutcome o) {
        return CompletableFuture.completedFuture(o);
    }

    @Override
    public void close() {
        client.close();
    }
}
