package io.streaminfer.bridge.http;

import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.openai.OpenAiError;
import io.streaminfer.bridge.openai.OpenAiRequests;
import io.streaminfer.bridge.openai.OpenAiShapes;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI's API on the stream: {@code GET /v1/models[/{id}]}, {@code POST /v1/completions} and {@code POST
 * /v1/chat/completions}, streamed ({@code stream: true}: server-sent {@code data:} chunks, then {@code data: [DONE]})
 * or not. Both are sync generations ({@link GenerationCalls}): a caller that goes away before the end cancels its
 * generation. Errors are OpenAI's ({@link OpenAiError}); one that comes after the stream started is a last {@code
 * data: {"error": ...}} event, which the official clients raise. {@code POST /v1/embeddings} is {@link
 * OpenAiEmbeddings}.
 */
final class OpenAiRoutes {
    private final ModelRepository repository;
    private final RequestChecks checks;
    private final RequestIntake intake;
    private final GenerationCalls calls;
    private final BridgeMetrics metrics;
    private final StreamAdmission streams;
    private final long defaultTimeoutMs;
    private final long maxTimeoutMs;

    OpenAiRoutes(ModelRepository repository, RequestChecks checks, RequestIntake intake, GenerationCalls calls,
            BridgeMetrics metrics, StreamAdmission streams, long defaultTimeoutMs, long maxTimeoutMs) {
        this.repository = repository;
        this.checks = checks;
        this.intake = intake;
        this.calls = calls;
        this.metrics = metrics;
        this.streams = streams;
        this.defaultTimeoutMs = defaultTimeoutMs;
        this.maxTimeoutMs = maxTimeoutMs;
    }

    void mount(Router r) {
        r.get("/v1/models").handler(this::models);
        r.get("/v1/models/:name").handler(this::model);
        r.post("/v1/completions").handler(ctx -> generate(ctx, false));
        r.post("/v1/chat/completions").handler(ctx -> generate(ctx, true));
    }

    // ---------------------------------------------------------------- models

    /** Every model of the repository (embedding, generative, tensor, graph): what the job serves. */
    private void models(RoutingContext ctx) {
        List<OpenAiShapes.Model> list = new ArrayList<>();
        for (ModelRepository.ModelEntry e : repository.models()) {
            list.add(describe(e));
        }
        Replies.json(ctx, 200, OpenAiShapes.models(list));
    }

    private void model(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        ModelRepository.ModelEntry entry = repository.models().stream().filter(e -> e.name().equals(name))
                .findFirst().orElse(null);
        if (entry == null) {
            Replies.error(ctx, new OpenAiError(404, "the model '" + name + "' does not exist", "model",
                    "model_not_found"));
            return;
        }
        Replies.json(ctx, 200, OpenAiShapes.model(describe(entry)));
    }

    /** Its creation time: when its latest version's folder was last changed (a new version, a new model). */
    private static OpenAiShapes.Model describe(ModelRepository.ModelEntry e) {
        long created;
        try {
            created = Files.getLastModifiedTime(e.latest().directory()).toMillis() / 1000;
        } catch (IOException | RuntimeException x) {
            created = 0;
        }
        return new OpenAiShapes.Model(e.name(), created);
    }

    // ---------------------------------------------------------------- completions and chat

    private void generate(RoutingContext ctx, boolean chat) {
        long start = System.nanoTime();
        String route = chat ? "openai_chat" : "openai_completion";
        OpenAiRequests.Generation g;
        CheckedRequest checked;
        long timeoutMs;
        try {
            byte[] body = ctx.body() == null ? null : ctx.body().buffer().getBytes();
            g = chat ? OpenAiRequests.chat(body) : OpenAiRequests.completion(body);
            String model = g.model();
            ctx.addEndHandler(v -> metrics.request(route, model, ctx.response().getStatusCode(),
                    System.nanoTime() - start));
            checked = checks.generation(g.model(), null, g.request(), g.stream())
                    .withTraceFrom(ctx.request().headers());
            timeoutMs = RequestIntake.timeoutMs(ctx, checked.request(), defaultTimeoutMs, maxTimeoutMs);
        } catch (OpenAiError e) {
            Replies.error(ctx, e);
            return;
        } catch (InferenceException e) {
            Replies.error(ctx, OpenAiError.of(e));
            return;
        }
        if (!intake.admit(ctx, timeoutMs)) {
            return;
        }
        if (g.stream()) {
            streamed(ctx, g, checked, timeoutMs, route);
        } else {
            once(ctx, g, checked, timeoutMs);
        }
    }

    private void once(RoutingContext ctx, OpenAiRequests.Generation g, CheckedRequest checked, long timeoutMs) {
        OnceAnswer.run(ctx, calls, checked, timeoutMs, streams.retryAfterSeconds(), (call, end) -> {
            if (end.succeeded()) {
                Replies.json(ctx, 200, OpenAiShapes.answer(OpenAiShapes.head(call.jobId(), g.model(), g.chat()), end));
            } else {
                Replies.error(ctx, OpenAiShapes.endError(end, call.jobId()));
            }
        });
    }

    /**
     * A chat's role chunk first, a chunk per delta, the finish chunk, the usage chunk when asked for, and
     * {@code [DONE]}; a generation that did not finish ends with an error event instead of the finish chunk.
     */
    private void streamed(RoutingContext ctx, OpenAiRequests.Generation g, CheckedRequest checked, long timeoutMs,
            String route) {
        new StreamedAnswer(ctx, streams, route) {
            private OpenAiShapes.Head head;

            @Override
            protected void started() {
                head = OpenAiShapes.head(stream.jobId(), g.model(), g.chat());
            }

            @Override
            protected void opened() {
                if (g.chat()) {
                    sse.data(OpenAiShapes.roleChunk(head, g.includeUsage()).toString());
                }
            }

            @Override
            protected void text(String text) {
                sse.data(OpenAiShapes.deltaChunk(head, text, g.includeUsage()).toString());
            }

            @Override
            protected void finish(GenerationEnd end) {
                if (end.succeeded()) {
                    sse.data(OpenAiShapes.finishChunk(head, end.finishReason(), g.includeUsage()).toString());
                    if (g.includeUsage()) {
                        sse.data(OpenAiShapes.usageChunk(head, end).toString());
                    }
                } else {
                    sse.data(OpenAiShapes.endError(end, stream.jobId()).body().toString());
                }
                sse.data("[DONE]");
            }

            @Override
            protected void refuse(GenerationEnd end) {
                Replies.error(ctx, OpenAiShapes.endError(end, stream.jobId()));
            }
        }.start(calls, checked, timeoutMs);
    }
}
