package io.streaminfer.bridge.infer;

import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestOptions;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.RequestValidator;

/**
 * Checks a request before anything is published, with the same contract code the job uses, so a bad request gets
 * its specific error at once instead of a round trip through Kafka: the model and version exist, the body is an OIP
 * request (JSON or binary-framed), its inputs fit the model, its parameters are well-typed. Shared by HTTP and gRPC.
 *
 * <pre>{@code
 * CheckedRequest c = checks.check("all-minilm-l6-v2", null, body, -1);   // throws InferenceException
 * }</pre>
 */
public final class RequestChecks {
    private final ModelRepository repository;

    public RequestChecks(ModelRepository repository) {
        this.repository = repository;
    }

    /**
     * @param headerLength the JSON header's length of a binary-framed body, -1 for JSON
     * @throws InferenceException with the code whose status answers the caller
     */
    public CheckedRequest check(String model, String version, byte[] body, int headerLength) {
        ModelVersion resolved = repository.resolve(model, version);
        if (body == null || body.length == 0) {
            throw InferenceException.malformed("empty body: expected an OIP inference request");
        }
        InferenceRequest request = headerLength >= 0 ? OipBinary.parseRequest(body, headerLength)
                : OipJson.parseRequest(body);
        return checked(resolved, version, body, headerLength, request);
    }

    /** A request already read (gRPC): published in the binary framing, every output asked back binary. */
    public CheckedRequest check(String model, String version, InferenceRequest request) {
        ModelVersion resolved = repository.resolve(model, version);
        OipBinary.Framed framed = OipBinary.writeRequest(request);
        return checked(resolved, version, framed.body(), framed.isBinary() ? framed.headerLength() : -1, request);
    }

    private static CheckedRequest checked(ModelVersion v, String version, byte[] body, int headerLength,
            InferenceRequest request) {
        RequestValidator.validate(request, v.config());
        OipBinary.binaryOutputs(request, v.config().outputNames()); // refuses ill-typed binary flags now
        RequestOptions options = RequestOptions.of(request.parameters(), System.currentTimeMillis());
        return new CheckedRequest(v, version, body, headerLength, request, options);
    }

    /**
     * How long a sync caller waits: OIP {@code parameters.timeout} (microseconds), else {@code transportMs} (the
     * X-Timeout-Ms header, the gRPC deadline; 0 or less: none), else the default; never more than the maximum.
     */
    public static long timeoutMs(InferenceRequest request, long transportMs, long defaultMs, long maxMs) {
        long ms = defaultMs;
        Object us = request.parameters().get(RequestOptions.TIMEOUT_US);
        if (us instanceof Number) {
            ms = Math.max(1, ((Number) us).longValue() / 1000);
        } else if (transportMs > 0) {
            ms = transportMs;
        }
        return Math.min(ms, maxMs);
    }
}
