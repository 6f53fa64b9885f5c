package io.streaminfer.flink.inference;

import io.streaminfer.batching.ByteBudget;
import io.streaminfer.batching.Submitted;
import io.streaminfer.batching.Work;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.inference.internal.SubtaskModels;
import io.streaminfer.flink.inference.internal.SubtaskModels.ServedModel;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The async inference step: each request, prepared where it was parsed (for text: cut to what the model reads and
 * tokenized, once), joins its model's {@link MicroBatcher}, whose workers run batches bounded by rows and cost
 * (padded tokens) on this subtask's replica; each request's result future completes on its own.
 *
 * <p>In flight is bounded in work and bytes, not only in requests. Flink's {@code AsyncWaitOperator} counts elements
 * ({@code capacity}); on top of that, {@code asyncInvoke} waits (on the task thread, as the operator itself does when
 * its capacity is reached) while the batcher's queue holds its bound of work ({@link
 * BatchingConfig#maxQueuedWork()}) or the requests in flight hold {@link InferenceSettings#maxInFlightBytes()}.
 * Room is made by the batcher's own threads, so the wait always ends; meanwhile backpressure reaches the Kafka
 * source, and the backlog stays in Kafka instead of turning into queue time.
 *
 * <p>Time: a request without a deadline never fails for waiting. Its deadline (if any) is enforced by the batcher
 * (EXPIRED, no model time); a model call that hangs is caught by the batcher's watchdog (MODEL_ERROR naming it). The
 * operator's timeout is only a safety net that a healthy job never reaches: it ends FAILED with TIMEOUT and counts
 * {@code safetyNetTimeouts}.
 *
 * <p>Use with {@code AsyncDataStream.unorderedWait(WithRetry)}: its checkpointed in-flight queue is the only buffer,
 * so a failover re-submits every request that had no result. The replicas and batchers are this subtask's
 * ({@link SubtaskModels}), shared with the graph steps that run the same models. The device is the GPU Flink
 * assigned to this task (external resource {@code gpu}), else the configured one, else the models' own.
 */
public class BatchingInferenceFunction extends RichAsyncFunction<RequestEnvelope, Outcome> {
    private static final long serialVersionUID = 2L;
    private static final Logger LOG = LoggerFactory.getLogger(BatchingInferenceFunction.class);
    public static final String GPU_RESOURCE = SubtaskModels.GPU_RESOURCE;

    private final InferenceSettings settings;
    private final StandInReplicas standIns;

    /** This subtask's models, shared with the graph steps of the same subtask. */
    private transient SubtaskModels models;
    private transient Map<String, ServedModel> served;
    private transient ByteBudget bytes;
    private transient Map<RequestEnvelope, Submitted> pending;
    private transient Counter safetyNetTimeouts;
    private transient int safetyNetLogged;

    public BatchingInferenceFunction(InferenceSettings settings) {
        this(settings, null);
    }

    /** With replicas made by {@code standIns} instead of loaded ones (no-op benchmark, GPU stand-in, tests). */
    public BatchingInferenceFunction(InferenceSettings settings, StandInReplicas standIns) {
        this.settings = settings;
        this.standIns = standIns;
    }

    @Override
    public void open(OpenContext openContext) {
        pending = Collections.synchronizedMap(new IdentityHashMap<>());
        served = new HashMap<>();
        models = SubtaskModels.acquire(getRuntimeContext(), settings, standIns);
        bytes = models.bytes();
        MetricGroup group = getRuntimeContext().getMetricGroup();
        group.gauge("requestsInFlight", () -> pending.size());
        group.gauge("inFlightBytes", bytes::used);
        safetyNetTimeouts = group.counter("safetyNetTimeouts");
        ModelRepository repository = ModelRepository.open(Path.of(settings.modelsDir()));
        for (ModelRepository.ModelEntry e : repository.models()) {
            if (!e.config().isGraph() && (settings.models() == null || settings.models().contains(e.name()))) {
                for (String version : e.versions()) {
                    ModelVersion v = e.version(version);
                    served.put(v.key(), models.served(v, group));
                }
            }
        }
    }

    @Override
    public void asyncInvoke(RequestEnvelope r, ResultFuture<Outcome> resultFuture) throws Exception {
        if (r.decided != null) {
            resultFuture.complete(List.of(r.decided)); // decided before the model: passes through
            return;
        }
        ServedModel s = served.get(r.model + ":" + r.modelVersion);
        if (s == null) {
            resultFuture.complete(List.of(Outcomes.failure(r, ErrorCode.UNKNOWN_MODEL, "model '" + r.model + ":"
                    + r.modelVersion + "' is not served by this job", System.currentTimeMillis())));
            return;
        }
        String broken = s.batcher().failure();
        if (broken != null) {
            // Failing the task restarts it from the last checkpoint with fresh replicas; this request is re-run.
            throw new IllegalStateException("model " + r.model + ":" + r.modelVersion + " cannot serve: " + broken);
        }
        PreparedRequest prepared;
        try {
            prepared = PreparedRequestCodec.decode(r.prepared); // prepared where it was parsed, once
        } catch (RuntimeException e) {
            LOG.error("Request {} arrived without a readable prepared form", r.id, e);
            resultFuture.complete(List.of(Outcomes.failure(r, ErrorCode.INTERNAL, "the prepared request could not "
                    + "be read: " + e.getMessage(), System.currentTimeMillis())));
            return;
        }
        Work work = Work.of(prepared.rows(), prepared.maxRowCost(), prepared.realCost());
        long held = r.prepared.length + prepared.bytes();
        bytes.acquire(held);
        try {
            s.batcher().awaitRoom(work);
        } catch (InterruptedException e) {
            bytes.release(held);
            throw e;
        }
        Submitted f = s.batcher().submit(r.id, prepared, work, r.priority, r.deadlineMs);
        pending.put(r, f);
        f.whenComplete((p, error) -> {
            bytes.release(held);
            pending.remove(r);
            if (error instanceof CancellationException) {
                return; // the safety net fired: timeout() has answered
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
            o.queueMicros = f.queueNanos() < 0 ? -1 : f.queueNanos() / 1_000;
            o.modelMicros = f.modelNanos() < 0 ? -1 : f.modelNanos() / 1_000;
            resultFuture.complete(List.of(o));
        });
    }

    @Override
    public void timeout(RequestEnvelope r, ResultFuture<Outcome> resultFuture) {
        Submitted f = pending.remove(r);
        if (f != null) {
            f.cancel(false); // a queued request leaves the queue: no model time for a request we gave up on
        }
        safetyNetTimeouts.inc();
        if (safetyNetLogged++ < 10) { // a stuck batcher fails every request in flight: the counter has the rest
            LOG.error("Request {} reached the safety-net timeout of {} ms (async.timeout-ms): a batcher or a model "
                    + "call is stuck beyond what its watchdog caught, or the timeout is shorter than the queue; "
                    + "failing it with TIMEOUT (see the counter safetyNetTimeouts)", r.id, settings.timeoutMs());
        }
        resultFuture.complete(List.of(Outcomes.failure(r, ErrorCode.TIMEOUT, "safety net: no result within "
                + settings.timeoutMs() + " ms (async.timeout-ms); something in the pipeline is stuck",
                System.currentTimeMillis())));
    }

    @Override
    public void close() {
        if (models != null) {
            models.release();
            models = null;
        }
    }
}
