package io.streaminfer.flink.sql.internal;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.metrics.GenerationMetrics;
import io.streaminfer.generation.GenerationEngine;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.GenerationResponses;
import io.streaminfer.runtime.GenerativeReplica;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local mode for a generative model: each row's prompt (column {@code text_input}) joins the subtask's
 * generation engine, so the rows of a query are batched per decoding step (continuous batching), and the row's
 * output {@code text_output} is the generated text. A row past its deadline ends with the text so far dropped and
 * DEADLINE_EXCEEDED, like a row the batcher expired.
 */
public final class GenerativeRows implements RowBackend {
    private static final Logger LOG = LoggerFactory.getLogger(GenerativeRows.class);

    private final ModelVersion version;
    private final GenerativeReplica replica;
    private final GenerationEngine engine;
    private final RequestPreparer preparer;

    private GenerativeRows(ModelVersion version, GenerativeReplica replica, GenerationEngine engine,
            RequestPreparer preparer) {
        this.version = version;
        this.replica = replica;
        this.engine = engine;
        this.preparer = preparer;
    }

    /** @param device null: the model's own {@code device} */
    /** @param metrics where the engine's metrics go (the job's {@code generation/<model>} names) */
    public static GenerativeRows open(String modelsDir, String model, String version, DeviceSpec device,
            String subtask, MetricGroup metrics) {
        ModelVersion v = ModelRepository.open(Path.of(modelsDir)).resolve(model, version);
        GenerativeReplica replica = GenerativeReplica.load(v, device);
        GenerationMetrics listener = new GenerationMetrics(metrics);
        GenerationEngine engine = replica.startEngine(GenerationListener.NONE, listener);
        listener.registerGauges(metrics, engine);
        LOG.info("SQL generative model {} in subtask {} on {}: {}", v.key(), subtask, replica.device(),
                engine.config());
        return new GenerativeRows(v, replica, engine, Preparers.load(v));
    }

    /** The most rows that decode together (for the concurrency advice). */
    public int maxBatchRows() {
        return engine.config().maxRunning();
    }

    @Override
    public CompletableFuture<Prediction> submit(String rowId, InferenceRequest request, long deadlineEpochMs)
            throws InterruptedException {
        GenerationPrompt prompt;
        try {
            synchronized (preparer) { // the tokenizer is used by one thread at a time
                prompt = (GenerationPrompt) preparer.prepare(request).payload();
            }
        } catch (InferenceException e) {
            return CompletableFuture.completedFuture(Prediction.failure(e));
        }
        engine.awaitRoom();
        return engine.submit(GenerationRequest.builder(rowId, prompt.tokens(), prompt.params())
                .deadlineMs(deadlineEpochMs).build()).thenApply(r -> switch (r.finish()) {
                    case STOP, LENGTH -> Prediction.success(GenerationResponses.of(version.name(), version.version(),
                            rowId, r.finish(), r.text(), r.promptTokens(), r.completionTokens()));
                    case EXPIRED -> Prediction.failure(ErrorCode.DEADLINE_EXCEEDED, "the row's deadline passed after "
                            + r.completionTokens() + " generated token(s)");
                    case CANCELLED -> Prediction.failure(ErrorCode.INTERNAL, "cancelled");
                    case ERROR -> Prediction.failure(ErrorCode.MODEL_ERROR, r.error());
                });
    }

    @Override
    public String failure() {
        return engine.failure();
    }

    @Override
    public void close() {
        engine.close();
        preparer.close();
        replica.close();
    }
}
