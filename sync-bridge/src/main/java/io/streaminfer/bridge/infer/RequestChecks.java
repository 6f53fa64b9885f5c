package io.streaminfer.bridge.infer;

import io.streaminfer.contract.GenerationJson;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestOptions;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.RequestValidator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks a request before anything is published, with the same contract code the job uses, so a bad request gets
 * its specific error at once instead of a round trip through Kafka: the model and version exist, the body is an OIP
 * request (JSON or binary-framed), its inputs fit the model, its parameters are well-typed. Shared by HTTP and gRPC.
 * A generative model's request may also come in the plain form ({@link GenerationJson}); its prompt and sampling
 * parameters are checked as the job reads them ({@link GenerationOptions}), and it is published as OIP JSON, or in
 * the plain form for a chat (which has no input tensor).
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
        if (resolved.config().isGenerative()) {
            InferenceRequest request = headerLength < 0 && GenerationJson.isPlainForm(body)
                    ? GenerationJson.toRequest(body)
                    : headerLength >= 0 ? OipBinary.parseRequest(body, headerLength) : OipJson.parseRequest(body);
            return generation(resolved, version, request, null);
        }
        InferenceRequest request = headerLength >= 0 ? OipBinary.parseRequest(body, headerLength)
                : OipJson.parseRequest(body);
        return checked(resolved, version, body, headerLength, request);
    }

    /**
     * A request of a generative model, checked as the job will read it, with {@code parameters.stream} set to
     * {@code stream} (null: as the caller sent it).
     */
    public CheckedRequest generation(String model, String version, InferenceRequest request, Boolean stream) {
        ModelVersion resolved = repository.resolve(model, version);
        if (!resolved.config().isGenerative()) {
            throw InferenceException.invalidInput("model '" + model + "' is not a generative model (it is "
                    + resolved.config().kind().yamlName() + ")");
        }
        return generation(resolved, version, request, stream);
    }

    /** The same generation request, published to stream its text on the token topic (async jobs always do). */
    public CheckedRequest streaming(CheckedRequest c) {
        if (!c.version().config().isGenerative()) {
            return c;
        }
        return generation(c.version(), c.requestedVersion(), c.request(), Boolean.TRUE).withTrace(c.trace());
    }

    private static CheckedRequest generation(ModelVersion v, String version, InferenceRequest request,
            Boolean stream) {
        InferenceRequest r = request;
        if (stream != null) {
            Map<String, Object> p = new LinkedHashMap<>(request.parameters());
            p.put(GenerationOptions.STREAM, stream);
            r = new InferenceRequest(request.id(), p, request.inputs(), request.outputs());
        }
        GenerationOptions.read(r, v.config().generation());
        if (!r.outputs().isEmpty()) {
            RequestValidator.validate(r, v.config()); // names the unknown output
        }
        RequestOptions options = RequestOptions.of(r.parameters(), System.currentTimeMillis());
        return new CheckedRequest(v, version, publishable(r), -1, r, options);
    }

    /**
     * OIP JSON; a chat has no input tensor, which OIP requires, so it goes in the plain form: its parameters as
     * fields, beside its {@code id}.
     */
    private static byte[] publishable(InferenceRequest r) {
        if (!r.inputs().isEmpty()) {
            return OipJson.writeRequest(r);
        }
        Map<String, Object> plain = new LinkedHashMap<>();
        for (String reserved : new String[] {"id", "prompt", "inputs"}) {
            if (r.parameters().containsKey(reserved)) {
                throw InferenceException.invalidInput("a chat request cannot have a parameter named '" + reserved
                        + "'");
            }
        }
        if (r.id() != null) {
            plain.put("id", r.id());
        }
        plain.putAll(r.parameters());
        try {
            return OipJson.MAPPER.writeValueAsBytes(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A request already read (gRPC): published in the binary framing, every output asked back binary. */
    public CheckedRequest check(String model, String version, InferenceRequest request) {
        ModelVersion resolved = repository.resolve(model, version);
        if (resolved.config().isGenerative()) {
            return generation(resolved, version, request, null);
        }
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
