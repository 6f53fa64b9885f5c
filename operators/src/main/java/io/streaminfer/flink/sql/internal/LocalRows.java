package io.streaminfer.flink.sql.internal;

import io.streaminfer.batching.MicroBatcher;
import io.streaminfer.batching.Work;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.inference.ModelBatching;
import io.streaminfer.flink.metrics.BatcherMetrics;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RuntimeListener;
import io.streaminfer.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local mode: the model repository's model loaded in this subtask (DJL/PyTorch), its rows prepared (text
 * tokenized once) and batched by the same {@link MicroBatcher} and cost budgets as the DataStream job.
 */
public final class LocalRows implements RowBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LocalRows.class);

    private final ModelRuntime runtime;
    private final ModelReplica replica;
    private final MicroBatcher<PreparedRequest> batcher;

    private LocalRows(ModelRuntime runtime, ModelReplica replica, MicroBatcher<PreparedRequest> batcher) {
        this.runtime = runtime;
        this.replica = replica;
        this.batcher = batcher;
    }

    /**
     * @param device null: the model's own {@code device}
     * @param workers null: the model's own {@code workers}
     */
    public static LocalRows open(String modelsDir, String model, String version, DeviceSpec device, Integer workers,
            io.streaminfer.flink.inference.BatchingSettings settings, BatcherMetrics metrics, String subtask) {
        RuntimeListener padding = new RuntimeListener() {
            @Override
            public void onForward(ModelVersion v, int rows, long realTokens, long paddedTokens) {
                metrics.onForward(realTokens, paddedTokens);
            }
        };
        RuntimeOptions.Builder options = RuntimeOptions.builder().modelsDir(Path.of(modelsDir)).models(Set.of(model))
                .device(device).listener(padding);
        if (workers != null) {
            options.workers(workers);
        }
        ModelRuntime runtime = ModelRuntime.load(options.build());
        try {
            ModelReplica replica = runtime.replica(model, version);
            ModelBatching b = ModelBatching.of(replica.model(), replica.workers(), settings);
            long maxCost = b.maxCost();
            MicroBatcher<PreparedRequest> batcher = new MicroBatcher<>(b.config(),
                    batch -> replica.predictPrepared(batch, maxCost), metrics, System::nanoTime,
                    System::currentTimeMillis);
            metrics.registerGauges(batcher);
            LOG.info("SQL model {} in subtask {} on {}: {} worker(s), {}", replica.model().key(), subtask,
                    replica.device(), replica.workers(), b.describe());
            return new LocalRows(runtime, replica, batcher);
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
    }

    public ModelReplica replica() {
        return replica;
    }

    /** The most rows one model call takes (for the concurrency advice). */
    public int maxBatchRows() {
        return batcher.config().maxBatchRows();
    }

    @Override
    public CompletableFuture<Prediction> submit(String rowId, InferenceRequest request, long deadlineEpochMs)
            throws InterruptedException {
        PreparedRequest prepared;
        try {
            prepared = replica.prepare(request);
        } catch (InferenceException e) {
            return CompletableFuture.completedFuture(Prediction.failure(e));
        }
        Work work = Work.of(prepared.rows(), prepared.maxRowCost(), prepared.realCost());
        batcher.awaitRoom(work);
        return batcher.submit(rowId, prepared, work, 0, deadlineEpochMs);
    }

    @Override
    public String failure() {
        return batcher.failure();
    }

    @Override
    public void close() {
        batcher.close();
        runtime.close();
    }
}
