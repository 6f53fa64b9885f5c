package io.streaminfer.flink.inference;

import io.streaminfer.batching.BatchingConfig;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelKind;
import io.streaminfer.contract.model.ModelVersion;
import java.time.Duration;
import org.apache.flink.annotation.Internal;

/**
 * How one replica of a model version is batched: its {@link BatchingConfig} and the cost budget its model calls get,
 * from the model's own {@code model.yaml} and the knobs of {@link BatchingSettings} that override it. Shared by the
 * DataStream job's inference function and the SQL model provider, so both batch a model the same way.
 *
 * <pre>{@code
 * ModelBatching b = ModelBatching.of(replica.model(), replica.workers(), settings);
 * MicroBatcher<PreparedRequest> batcher = new MicroBatcher<>(b.config(),
 *         batch -> replica.predictPrepared(batch, b.maxCost()), listener, System::nanoTime, System::currentTimeMillis);
 * }</pre>
 *
 * @param config the batcher's config, named after the model version
 * @param maxRows most rows per call: the settings' {@code maxBatchSize}, never above the model's {@code max_batch_size}
 * @param maxCost padded tokens (text models) or input elements (tensor models) per call; 0 when only rows count
 */
@Internal
public record ModelBatching(BatchingConfig config, int maxRows, long maxCost) {

    /**
     * @param workers the model calls that may run at once (the replica's {@code workers()})
     * @throws IllegalArgumentException when the resulting config is invalid, listing what to change
     */
    public static ModelBatching of(ModelVersion version, int workers, BatchingSettings b) {
        ModelConfig model = version.config();
        int maxRows = b.maxBatchSize() == 0 ? model.maxBatchSize() : Math.min(b.maxBatchSize(),
                model.maxBatchSize());
        long override = model.kind() == ModelKind.TEXT_EMBEDDING ? b.maxBatchTokens() : b.maxBatchElements();
        long maxCost = override > 0 ? override : model.maxBatchCost();
        boolean grouping = b.grouping() != null ? b.grouping() : model.kind() == ModelKind.TEXT_EMBEDDING;
        BatchingConfig config = BatchingConfig.builder()
                .name(version.key())
                .maxBatchRows(maxRows)
                .maxBatchCost(maxCost)
                .grouping(grouping)
                .maxDelay(Duration.ofMillis(b.maxDelayMs()))
                .workers(workers)
                .queueBatches(b.queueBatches())
                .watchdogMin(Duration.ofMillis(b.watchdogMinMs()))
                .watchdogFactor(b.watchdogFactor())
                .build();
        return new ModelBatching(config, maxRows, maxCost);
    }

    /** For a log line: "batches of <= 64 rows and <= 1024 cost, grouped by length, queue <= 8192". */
    public String describe() {
        return "batches of <= " + maxRows + " rows and <= " + (maxCost == 0 ? "unbounded" : maxCost) + " cost"
                + (config.grouping() ? ", grouped by length" : "") + ", queue <= "
                + (config.maxQueuedWork() == Long.MAX_VALUE ? "unbounded" : config.maxQueuedWork());
    }
}
