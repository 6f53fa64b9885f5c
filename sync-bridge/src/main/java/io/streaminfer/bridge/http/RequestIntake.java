package io.streaminfer.bridge.http;

import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.pipeline.Admission;
import io.streaminfer.bridge.pipeline.Refusal;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * The HTTP side of {@link RequestChecks}: the model and version from the path, the body as JSON or, with
 * {@value #HEADER_LENGTH}, binary-framed (the binary tensor extension), and the caller's timeout header.
 */
final class RequestIntake {
    /** Header alternative to OIP {@code parameters.timeout}, in milliseconds. */
    static final String TIMEOUT_HEADER = "X-Timeout-Ms";
    /** The binary tensor extension: the length of the body's JSON header; the tensors' bytes follow it. */
    static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    private final RequestChecks checks;
    private final BridgeMetrics metrics;
    private final Admission admission;

    RequestIntake(RequestChecks checks, BridgeMetrics metrics, Admission admission) {
        this.checks = checks;
        this.metrics = metrics;
        this.admission = admission;
    }

    /**
     * The common start of every request that publishes: counts it under {@code route} when it ends and checks it.
     * Returns null after answering the caller when anything is wrong.
     */
    CheckedRequest accept(RoutingContext ctx, String route) {
        long start = System.nanoTime();
        String model = ctx.pathParam("name");
        ctx.addEndHandler(v -> metrics.request(route, model, ctx.response().getStatusCode(),
                System.nanoTime() - start));
        CheckedRequest checked;
        try {
            checked = check(ctx).withTraceFrom(ctx.request().headers());
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
            return null;
        }
        return checked;
    }

    /**
     * Whether a checked request may go to Kafka, its caller waiting at most {@code waitMs} ({@link
     * Admission#NO_LIMIT} for none); answers 503 with the reason when not. A job that merely restarts refuses
     * nothing: Kafka holds the request until it runs again.
     */
    boolean admit(RoutingContext ctx, long waitMs) {
        Refusal no = admission.refusal(waitMs);
        if (no == null) {
            return true;
        }
        metrics.refused(no.cause());
        Replies.error(ctx, 503, no.reason());
        return false;
    }

    /** @throws InferenceException with the code whose HTTP status answers the caller */
    CheckedRequest check(RoutingContext ctx) {
        byte[] body = ctx.body() == null || ctx.body().length() == 0 ? null : ctx.body().buffer().getBytes();
        return checks.check(ctx.pathParam("name"), ctx.pathParam("version"), body, headerLength(ctx));
    }

    /** The {@value #HEADER_LENGTH} header; -1 without it (a JSON body). */
    static int headerLength(RoutingContext ctx) {
        String value = ctx.request().getHeader(HEADER_LENGTH);
        if (value == null) {
            return -1;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw InferenceException.malformed("header " + HEADER_LENGTH + " must be the JSON header's length in bytes, "
                + "got '" + value + "'");
    }

    /**
     * How long a sync caller waits: OIP {@code parameters.timeout} (microseconds) or the {@value #TIMEOUT_HEADER}
     * header, else the default; never more than the maximum.
     */
    static long timeoutMs(RoutingContext ctx, InferenceRequest request, long defaultMs, long maxMs) {
        long headerMs = -1;
        String header = ctx.request().getHeader(TIMEOUT_HEADER);
        if (header != null) {
            try {
                headerMs = Long.parseLong(header.trim());
            } catch (NumberFormatException e) {
                throw new InferenceException(ErrorCode.INVALID_INPUT, "header " + TIMEOUT_HEADER
                        + " must be an integer number of milliseconds, got '" + header + "'");
            }
            if (headerMs < 1) {
                throw new InferenceException(ErrorCode.INVALID_INPUT, "header " + TIMEOUT_HEADER
                        + " must be positive, got " + headerMs);
            }
        }
        return RequestChecks.timeoutMs(request, headerMs, defaultMs, maxMs);
    }
}
