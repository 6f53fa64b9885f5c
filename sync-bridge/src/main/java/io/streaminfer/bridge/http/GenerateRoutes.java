package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Triton's generate extension: {@code POST /v2/models/{m}[/versions/{v}]/generate} answers
 * {@code {"model_name", "model_version", "text_output"}} (with {@code finish_reason}, {@code prompt_tokens} and
 * {@code completion_tokens} beside them); {@code .../generate_stream} answers server-sent events, one {@code data:}
 * object per piece of text, the last one with empty {@code text_output} and the finish fields, and an error as
 * {@code data: {"error": "..."}}. The request is {@code {"text_input": "...", "parameters": {...}}}; other top-level
 * fields count as parameters too, as Triton maps them to a model's inputs ({@code "max_tokens": 20}).
 */
final class GenerateRoutes {
    private final RequestChecks checks;
    private final RequestIntake intake;
    private final GenerationCalls calls;
    private final BridgeMetrics metrics;
    private final StreamAdmission streams;
    private final long defaultTimeoutMs;
    private final long maxTimeoutMs;

    GenerateRoutes(RequestChecks checks, RequestIntake intake, GenerationCalls calls, BridgeMetrics metrics,
            StreamAdmission streams, long defaultTimeoutMs, long maxTimeoutMs) {
        this.checks = checks;
        this.intake = intake;
        this.calls = calls;
        this.metrics = metrics;
        this.streams = streams;
        this.defaultTimeoutMs = defaultTimeoutMs;
        this.maxTimeoutMs = maxTimeoutMs;
    }

    void mount(Router r) {
        r.post("/v2/models/:name/generate").handler(ctx -> generate(ctx, false));
        r.post("/v2/models/:name/versions/:version/generate").handler(ctx -> generate(ctx, false));
        r.post("/v2/models/:name/generate_stream").handler(ctx -> generate(ctx, true));
        r.post("/v2/models/:name/versions/:version/generate_stream").handler(ctx -> generate(ctx, true));
    }

    private void generate(RoutingContext ctx, boolean stream) {
        long start = System.nanoTime();
        String model = ctx.pathParam("name");
        String route = stream ? "generate_stream" : "generate";
        ctx.addEndHandler(v -> metrics.request(route, model, ctx.response().getStatusCode(),
                System.nanoTime() - start));
        CheckedRequest checked;
        long timeoutMs;
        try {
            InferenceRequest request = request(ctx.body() == null ? null : ctx.body().buffer().getBytes());
            checked = checks.generation(model, ctx.pathParam("version"), request, stream)
                    .withTraceFrom(ctx.request().headers());
            timeoutMs = RequestIntake.timeoutMs(ctx, checked.request(), defaultTimeoutMs, maxTimeoutMs);
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
            return;
        }
        if (!intake.admit(ctx, timeoutMs)) {
            return;
        }
        if (stream) {
            streamed(ctx, checked, timeoutMs, route);
        } else {
            once(ctx, checked, timeoutMs);
        }
    }

    /** The generate request as the contract's: {@code text_input} the prompt, every other field a parameter. */
    static InferenceRequest request(byte[] body) {
        if (body == null || body.length == 0) {
            throw InferenceException.malformed("empty body: expected {\"text_input\": \"...\", \"parameters\": {...}}");
        }
        JsonNode root;
        try {
            root = OipJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw InferenceException.malformed("the body is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof ObjectNode o)) {
            throw InferenceException.malformed("the body must be a JSON object with 'text_input'");
        }
        JsonNode text = o.get(GenerationOptions.TEXT_INPUT);
        if (text == null || !text.isTextual()) {
            throw InferenceException.invalidInput("'" + GenerationOptions.TEXT_INPUT + "' must be the prompt, a "
                    + "string");
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getKey().equals(GenerationOptions.TEXT_INPUT) && !f.getKey().equals("parameters")
                    && !f.getKey().equals("id") && !f.getValue().isNull()) {
                parameters.put(f.getKey(), OipJson.MAPPER.convertValue(f.getValue(), Object.class));
            }
        }
        JsonNode p = o.get("parameters");
        if (p != null && !p.isNull()) {
            if (!p.isObject()) {
                throw InferenceException.malformed("'parameters' must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (!f.getValue().isNull()) {
                    parameters.put(f.getKey(), OipJson.MAPPER.convertValue(f.getValue(), Object.class));
                }
            }
        }
        parameters.remove(GenerationOptions.STREAM); // the endpoint decides
        String id = o.path("id").isTextual() ? o.get("id").textValue() : null;
        return new InferenceRequest(id, parameters, List.of(Tensor.ofStrings(GenerationOptions.TEXT_INPUT,
                text.textValue())), null);
    }

    private void once(RoutingContext ctx, CheckedRequest checked, long timeoutMs) {
        OnceAnswer.run(ctx, calls, checked, timeoutMs, streams.retryAfterSeconds(), (call, end) -> {
            if (end.succeeded()) {
                Replies.json(ctx, 200, answer(checked, end.text(), end));
            } else {
                Replies.error(ctx, status(end), message(end, call.jobId()));
            }
        });
    }

    /** A cancelled generation (a 200 end otherwise) is a conflict: what it asked for was not done. */
    private static int status(GenerationEnd end) {
        return end.kind() == GenerationEnd.Kind.CANCELLED ? 409 : end.httpStatus();
    }

    /** {@code {"model_name", "model_version", "text_output"}}, and the finish fields at the end. */
    private static ObjectNode answer(CheckedRequest checked, String text, GenerationEnd end) {
        ObjectNode o = Replies.object();
        o.put("model_name", checked.model());
        o.put("model_version", checked.version().version());
        o.put(GenerationOptions.TEXT_OUTPUT, text);
        if (end != null) {
            o.put(GenerationOptions.FINISH_REASON, end.finishReason());
            if (end.promptTokens() >= 0) {
                o.put(GenerationOptions.PROMPT_TOKENS, end.promptTokens());
            }
            if (end.completionTokens() >= 0) {
                o.put(GenerationOptions.COMPLETION_TOKENS, end.completionTokens());
            }
        }
        return o;
    }

    private static String message(GenerationEnd end, String jobId) {
        return end.kind() == GenerationEnd.Kind.CANCELLED ? "the generation was cancelled after "
                + Math.max(0, end.completionTokens()) + " token(s); its text so far is at /v1/jobs/" + jobId
                : end.message();
    }

    private void streamed(RoutingContext ctx, CheckedRequest checked, long timeoutMs, String route) {
        new StreamedAnswer(ctx, streams, route) {
            @Override
            protected void text(String text) {
                sse.data(answer(checked, text, null).toString());
            }

            @Override
            protected void finish(GenerationEnd end) {
                if (end.succeeded()) {
                    sse.data(answer(checked, "", end).toString());
                } else {
                    ObjectNode error = Replies.object();
                    error.put("error", message(end, stream.jobId()));
                    sse.data(error.toString());
                }
            }

            @Override
            protected void refuse(GenerationEnd end) {
                Replies.error(ctx, status(end), message(end, stream.jobId()));
            }
        }.start(calls, checked, timeoutMs);
    }
}
