package io.streaminfer.bridge.http;

import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.infer.SyncInference;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.openai.EmbeddingSlices;
import io.streaminfer.bridge.openai.OpenAiError;
import io.streaminfer.bridge.openai.OpenAiRequests;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/embeddings} for the text-embedding models: the inputs are sent as OIP requests of at most the
 * model's {@code max_batch_size} texts each (one sync call per slice, all at once), and the vectors come back in
 * input order, as floats or as base64 of little-endian float32 ({@code encoding_format}; the official clients ask
 * for base64 and decode it). {@code usage.prompt_tokens} is an estimate ({@code OpenAiShapes.estimatedTokens}): the
 * job does not count an embedding's tokens.
 */
final class OpenAiEmbeddings {
    private final ModelRepository repository;
    private final RequestChecks checks;
    private final RequestIntake intake;
    private final SyncInference sync;
    private final BridgeMetrics metrics;
    private final long defaultTimeoutMs;
    private final long maxTimeoutMs;
    private final int retryAfterSeconds;

    OpenAiEmbeddings(ModelRepository repository, RequestChecks checks, RequestIntake intake, SyncInference sync,
            BridgeMetrics metrics, long defaultTimeoutMs, long maxTimeoutMs, int retryAfterSeconds) {
        this.repository = repository;
        this.checks = checks;
        this.intake = intake;
        this.sync = sync;
        this.metrics = metrics;
        this.defaultTimeoutMs = defaultTimeoutMs;
        this.maxTimeoutMs = maxTimeoutMs;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    void mount(Router r) {
        r.post("/v1/embeddings").handler(this::embeddings);
    }

    private void embeddings(RoutingContext ctx) {
        long start = System.nanoTime();
        OpenAiRequests.Embeddings e;
        EmbeddingSlices slices;
        long timeoutMs;
        try {
            e = OpenAiRequests.embeddings(ctx.body() == null ? null : ctx.body().buffer().getBytes());
            String model = e.model();
            ctx.addEndHandler(v -> metrics.request("openai_embeddings", model, ctx.response().getStatusCode(),
                    System.nanoTime() - start));
            slices = EmbeddingSlices.of(e, repository, checks);
            timeoutMs = RequestIntake.timeoutMs(ctx, slices.slices().get(0).request(), defaultTimeoutMs,
                    maxTimeoutMs);
        } catch (OpenAiError x) {
            Replies.error(ctx, x);
            return;
        } catch (InferenceException x) {
            Replies.error(ctx, OpenAiError.of(x));
            return;
        }
        if (!intake.admit(ctx, timeoutMs)) {
            return;
        }
        List<SyncInference.Call> calls = new ArrayList<>();
        for (CheckedRequest slice : slices.slices()) {
            SyncInference.Call call = sync.start(slice, timeoutMs);
            if (call == null) {
                calls.forEach(SyncInference.Call::cancel);
                Replies.shed(ctx, retryAfterSeconds, Replies.TOO_MANY);
                return;
            }
            calls.add(call);
        }
        ctx.addEndHandler(ar -> {
            if (ar.failed()) {
                calls.forEach(SyncInference.Call::cancel);
            }
        });
        CompletableFuture.allOf(calls.stream().map(SyncInference.Call::outcome).toArray(CompletableFuture[]::new))
                .thenRun(() -> answer(ctx, slices, calls));
    }

    private void answer(RoutingContext ctx, EmbeddingSlices slices, List<SyncInference.Call> calls) {
        List<Reply> replies = new ArrayList<>(calls.size());
        for (SyncInference.Call call : calls) {
            SyncInference.Outcome o = call.outcome().join();
            OpenAiError failed = failure(o, call.jobId());
            if (failed != null) {
                if (o.kind() != SyncInference.Kind.CANCELLED) {
                    Replies.error(ctx, failed);
                }
                return;
            }
            replies.add(o.reply());
        }
        Replies.json(ctx, 200, slices.answer(replies));
    }

    /** Null when the call answered with vectors. */
    private static OpenAiError failure(SyncInference.Outcome o, String jobId) {
        return switch (o.kind()) {
            case ANSWERED -> EmbeddingSlices.failure(o.reply());
            case TIMED_OUT -> new OpenAiError(504, "no result within " + o.timeoutMs() + " ms; its final state will "
                    + "be at /v1/jobs/" + jobId, null, null);
            case PUBLISH_FAILED -> new OpenAiError(503, "could not hand the request to Kafka: "
                    + o.error().getMessage(), null, null);
            default -> new OpenAiError(500, "internal error: " + o.error(), null, null);
        };
    }
}
