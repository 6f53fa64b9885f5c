package io.streaminfer.flink.inference;

import io.streaminfer.batching.BatchExecutor;
import io.streaminfer.batching.BatchingConfig;
import io.streaminfer.batching.MicroBatcher;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.inference.internal.GpuAllocator;
import io.streaminfer.flink.metrics.BatcherMetrics;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToIntFunction;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The async inference step: each request joins its model's {@link MicroBatcher}, whose workers run batches on this
 * subtask's model replica; each request's result future completes on its own.
 *
 * <p>Use with {@code AsyncDataStream.unorderedWait(WithRetry)}: its capacity bounds the requests in flight (so
 * backpressure reaches the Kafka source) and its checkpointed in-flight queue is the only buffer, so a failover
 * re-submits every request that had no result. A timeout ends in a FAILED outcome with reason "timeout", never a job
 * failure. The device is the GPU Flink assigned to this task (external resource {@code gpu}), else the configured
 * one, else the models' own.
 */
public class BatchingInferenceFunction extends RichAsyncFunction<RequestEnvelope, Outcome> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BatchingInferenceFunction.class);
    public static final String GPU_RESOURCE = "gpu";

    private final InferenceSettings settings;
    private final ExecutorFactory executorFactory;

    private transient ModelRuntime runtime;
    private transient Map<String, MicroBatcher> batchers;
    private transient Map<RequestEnvelope, CompletableFuture<Prediction>> pending;
    private transient List<BatcherMetrics> metrics;
    /** The GPU this replica took from {@link GpuAllocator}; -1 when none (set in open: transient fields read 0). */
    private transient int acquiredGpu;

    public BatchingInferenceFunction(InferenceSettings settings) {
        this(settings, null);
    }

    /** With executors made by {@code executorFactory} instead of loaded replicas (no-op benchmark, tests). */
    public BatchingInferenceFunction(InferenceSettings settings, ExecutorFactory executorFactory) {
        this.settings = settings;
        this.executorFactory = executorFactory;
    }

    @Override
    public void open(OpenContext openContext) {
        acquiredGpu = -1;
        pending = Collections.synchronizedMap(new IdentityHashMap<>());
        batchers = new HashMap<>();
        metrics = new ArrayList<>();
        MetricGroup group = getRuntimeContext().getMetricGroup();
        group.gauge("requestsInFlight", () -> pending.size());
        if (executorFactory != null) {
            openWithFactory(group);
            return;
        }
        DeviceSpec device = assignedDevice();
        RuntimeOptions.Builder options = RuntimeOptions.builder().modelsDir(Path.of(settings.modelsDir()))
                .models(settings.models()).device(device);
        if (settings.workers() != null) {
            options.workers(settings.workers());
        }
        runtime = ModelRuntime.load(options.build());
        for (ModelReplica replica : runtime.replicas()) {
            ModelVersion v = replica.model();
            addBatcher(v, replica.workers(), replica::predictBatch, replica::costOf, group);
            LOG.info("Subtask {} serves {} on {} ({} worker(s))",
                    getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), v.key(), replica.device(),
                    replica.workers());
        }
    }

    private void openWithFactory(MetricGroup group) {
        ModelRepository repository = ModelRepository.open(Path.of(settings.modelsDir()));
        for (ModelRepository.ModelEntry e : repository.models()) {
            if (settings.models() == null || settings.models().contains(e.name())) {
                for (String version : e.versions()) {
                    addBatcher(e.version(version), settings.workers() == null ? 1 : settings.workers(),
                            executorFactory.create(e.version(version)), r -> 1, group);
                }
            }
        }
    }

    private void addBatcher(ModelVersion v, int workers, BatchExecutor executor, ToIntFunction<InferenceRequest> cost,
            MetricGroup group) {
        BatchingSettings b = settings.batching(v.name());
        int max = b.maxBatchSize() == 0 ? v.config().maxBatchSize() : Math.min(b.maxBatchSize(),
                v.config().maxBatchSize());
        BatchingConfig config = BatchingConfig.builder()
                .name(v.key())
                .maxBatchRows(max)
                .maxDelay(Duration.ofMillis(b.maxDelayMs()))
                .workers(workers)
                .bucketing(b.bucketing())
                .build();
        BatcherMetrics m = new BatcherMetrics(group.addGroup("model", v.name()));
        metrics.add(m);
        MicroBatcher batcher = new MicroBatcher(config, executor, cost, m, System::nanoTime,
                System::currentTimeMillis);
        m.registerGauges(batcher);
        batchers.put(v.key(), batcher);
    }

    /** The GPU Flink's external resource framework gave this task manager, spread over subtasks; else config. */
    private DeviceSpec assignedDevice() {
        Set<ExternalResourceInfo> gpus = getRuntimeContext().getExternalResourceInfos(GPU_RESOURCE);
        if (gpus != null && !gpus.isEmpty()) {
            List<Integer> indexes = new ArrayList<>();
            for (ExternalResourceInfo info : gpus) {
                info.getProperty("index").ifPresent(i -> indexes.add(Integer.parseInt(i.trim())));
            }
            if (!indexes.isEmpty()) {
                Collections.sort(indexes);
                int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
                int gpu = GpuAllocator.acquire(indexes);
                acquiredGpu = gpu;
                LOG.info("Subtask {} uses GPU {} of {} assigned by Flink", subtask, gpu, indexes);
                return DeviceSpec.gpu(gpu);
            }
        }
        return settings.device() == null ? null : DeviceSpec.parse(settings.device());
    }

    @Override
    public void asyncInvoke(RequestEnvelope r, ResultFuture<Outcome> resultFuture) {
        MicroBatcher batcher = batchers.get(r.model + ":" + r.modelVersion);
        if (batcher == null) {
            resultFuture.complete(List.of(Outcomes.failure(r, ErrorCode.UNKNOWN_MODEL, "model '" + r.model + ":"
                    + r.modelVersion + "' is not served by this job", System.currentTimeMillis())));
            return;
        }
        InferenceRequest request;
        try {
            request = OipJson.parseRequest(r.body).withId(r.responseId);
        } catch (InferenceException e) {
            resultFuture.complete(List.of(Outcomes.failure(r, e.code(), e.getMessage(), System.currentTimeMillis())));
            return;
        }
        CompletableFuture<Prediction> f = batcher.submit(request, r.rows, r.priority, r.deadlineMs);
        pending.put(r, f);
        f.whenComplete((p, error) -> {
            pending.remove(r);
            if (error instanceof CancellationException) {
                return; // timed out: timeout() has answered
            }
            long now = System.currentTimeMillis();
            Outcome o;
            if (error != null) {
                LOG.warn("Request {} failed in the batcher", r.id, error);
                o = Outcomes.failure(r, ErrorCode.INTERNAL, "internal error: " + error, now);
            } else if (p.isSuccess()) {
                o = Outcomes.success(r, p.response(), now);
            } else {
                o = Outcomes.failure(r, p.errorCode(), p.error(), now);
            }
            resultFuture.complete(List.of(o));
        });
    }

    @Override
    public void timeout(RequestEnvelope r, ResultFuture<Outcome> resultFuture) {
        CompletableFuture<Prediction> f = pending.remove(r);
        if (f != null) {
            f.cancel(false); // a queued request leaves the queue: no model time for a caller we gave up on
        }
        LOG.info("Request {} timed out after {} ms", r.id, settings.timeoutMs());
        resultFuture.complete(List.of(Outcomes.failure(r, ErrorCode.TIMEOUT, "timeout: no result within "
                + settings.timeoutMs() + " ms", System.currentTimeMillis())));
    }

    @Override
    public void close() {
        if (acquiredGpu >= 0) {
            GpuAllocator.release(acquiredGpu);
            acquiredGpu = -1;
        }
        if (batchers != null) {
            batchers.values().forEach(MicroBatcher::close);
        }
        if (runtime != null) {
            runtime.close();
        }
    }
}
