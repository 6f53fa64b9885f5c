package io.streaminfer.bridge.http;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestOptions;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.RequestValidator;
import io.vertx.ext.web.RoutingContext;

/**
 * Checks a request before anything is published, with the same contract code the job uses, so a bad request gets
 * its specific 400/404 at once instead of a round trip through Kafka: the model and version exist, the body is an
 * OIP request, its inputs fit the model, its parameters are well-typed.
 */
final class RequestIntake {
    /** Header alternative to OIP {@code parameters.timeout}, in milliseconds. */
    static final String TIMEOUT_HEADER = "X-Timeout-Ms";

    private final ModelRepository repository;
    private final io.streaminfer.bridge.metrics.BridgeMetrics metrics;
    private final java.util.function.Supplier<String> notReadyReason;

    RequestIntake(ModelRepository repository, io.streaminfer.bridge.metrics.BridgeMetrics metrics,
            java.util.function.Supplier<String> notReadyReason) {
        this.repository = repository;
        this.metrics = metrics;
        this.notReadyReason = notReadyReason;
    }

    /**
     * The common start of every request that publishes: counts it under {@code route} when it ends, checks it, and
     * checks that this replica is ready. Returns null after answering the caller when anything is wrong.
     */
    Checked accept(RoutingContext ctx, String route) {
        long start = System.nanoTime();
        String model = ctx.pathParam("name");
        ctx.addEndHandler(v -> metrics.request(route, model, ctx.response().getStatusCode(),
                System.nanoTime() - start));
        Checked checked;
        try {
            checked = check(ctx);
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
            return null;
        }
        String notReady = notReadyReason.get();
        if (notReady != null) {
            Replies.error(ctx, 503, "not ready: " + notReady);
            return null;
        }
        return checked;
    }

    /** A checked request. */
    static final class Checked {
        final ModelVersion version;
        final byte[] body;
        final InferenceRequest request;
        final RequestOptions options;

        Checked(ModelVersion version, byte[] body, InferenceRequest request, RequestOptions options) {
            this.version = version;
            this.body = body;
            this.request = request;
            this.options = options;
        }
    }

    /** @throws InferenceException with the code whose HTTP status answers the caller */
    Checked check(RoutingContext ctx) {
        String model = ctx.pathParam("name");
        String requestedVersion = ctx.pathParam("version");
        ModelVersion version = repository.resolve(model, requestedVersion);
        if (ctx.body() == null || ctx.body().length() == 0) {
            throw InferenceException.malformed("empty body: expected an OIP inference request JSON");
        }
        byte[] body = ctx.body().buffer().getBytes();
        InferenceRequest request = OipJson.parseRequest(body);
        RequestValidator.validate(request, version.config());
        RequestOptions options = RequestOptions.of(request.parameters(), System.currentTimeMillis());
        return new Checked(version, body, request, options);
    }

    /**
     * How long a sync caller waits: OIP {@code parameters.timeout} (microseconds) or the {@value #TIMEOUT_HEADER}
     * header, else the default; never more than the maximum.
     */
    static long timeoutMs(RoutingContext ctx, InferenceRequest request, long defaultMs, long maxMs) {
        long ms = defaultMs;
        Object us = request.parameters().get(RequestOptions.TIMEOUT_US);
        if (us instanceof Number) {
            ms = Math.max(1, ((Number) us).longValue() / 1000);
        } else {
            String header = ctx.request().getHeader(TIMEOUT_HEADER);
            if (header != null) {
                try {
                    ms = Long.parseLong(header.trim());
                } catch (NumberFormatException e) {
                    throw new InferenceException(ErrorCode.INVALID_INPUT, "header " + TIMEOUT_HEADER
                            + " must be an integer number of milliseconds, got '" + header + "'");
                }
                if (ms < 1) {
                    throw new InferenceException(ErrorCode.INVALID_INPUT, "header " + TIMEOUT_HEADER
                            + " must be positive, got " + ms);
                }
            }
        }
        return Math.min(ms, maxMs);
    }
}
