package io.streaminfer.flink.inference;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.streaminfer.batching.Submitted;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.inference.SubtaskModels.ServedModel;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.tracing.JobTracing;
import io.streaminfer.flink.tracing.SpanAttributes;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;
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
 * timeout ({@link InferenceSettings#timeoutMs()}) is only a safety net that a healthy job never reaches: it ends
 * FAILED with TIMEOUT and counts {@code safetyNetTimeouts}. A transient fault of ours (INTERNAL, OVERLOADED) is tried
 * again {@link InferenceSettings#retries()} times. Calls, the byte budget, the timeout and the retries are {@link
 * ModelCalls}', the one path of every step that runs a model.
 *
 * <p>Use with {@code AsyncDataStream.unorderedWait} and a timeout of 0: its checkpointed in-flight queue is the only
 * buffer, so a failover re-submits every request that had no result. The replicas and batchers are this subtask's
 * ({@link SubtaskModels}), shared with the graph steps that run the same models. The device is the GPU Flink
 * assigned to this task (external resource {@code gpu}), else the configured one, else the models' own.
 */
@Internal
public class BatchingInferenceFunction extends RichAsyncFunction<RequestEnvelope, Outcome> {
    private static final long serialVersionUID = 2L;
    private static final Logger LOG = LoggerFactory.getLogger(BatchingInferenceFunction.class);

    private final InferenceSettings settings;

    /** This subtask's models, shared with the graph steps of the same subtask. */
    private transient SubtaskModels models;
    private transient Map<String, ServedModel> served;
    private transient ModelCalls calls;
    private transient Counter safetyNetTimeouts;
    private transient AtomicInteger safetyNetLogged;
    /** Null: tracing off. */
    private transient JobTracing tracing;

    public BatchingInferenceFunction(InferenceSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        tracing = JobTracing.acquire(settings.tracing());
        safetyNetLogged = new AtomicInteger();
        served = new HashMap<>();
        models = SubtaskModels.acquire(getRuntimeContext(), settings);
        MetricGroup group = getRuntimeContext().getMetricGroup();
        calls = new ModelCalls("inference-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                models.bytes(), settings.timeoutMs(), settings.retries(), settings.retryDelayMs(), "", group);
        group.gauge("inFlightBytes", models.bytes()::used);
        safetyNetTimeouts = group.counter("safetyNetTimeouts");
        ModelRepository repository = ModelRepository.open(Path.of(settings.modelsDir()));
        for (ModelRepository.ModelEntry e : repository.models()) {
            if (e.config().isOneShot() && settings.models().includes(e.name())) {
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
            // Decided before the model: passes through, so it reaches the recorder in order (the topology's rules).
            resultFuture.complete(List.of(r.decided));
            return;
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
        // The prepared form's key is the model version it was checked for (the codec hands out one instance per
        // key, its hash cached), so the lookup costs no string building per request; the envelope still decides.
        ServedModel s = isKeyOf(prepared.modelKey(), r) ? served.get(prepared.modelKey()) : null;
        if (s == null) {
            resultFuture.complete(List.of(Outcomes.failure(r, ErrorCode.UNKNOWN_MODEL, "model '" + r.model + ":"
                    + r.modelVersion + "' is not served by this job", System.currentTimeMillis())));
            return;
        }
        Pending pending = new Pending(r, resultFuture);
        if (tracing != null && r.traceparent != null) {
            pending.submittedNanos = JobTracing.nowNanos();
            tracing.link(r.id, r.traceparent, r.tracestate); // for the batch span of the call it joins
        }
        calls.submit(s, r.id, prepared, r.prepared.length + prepared.bytes(), r.priority, r.deadlineMs, pending);
    }

    /** Whether {@code key} is {@code model:version} of the envelope, without building that string. */
    private static boolean isKeyOf(String key, RequestEnvelope r) {
        String m = r.model;
        String v = r.modelVersion;
        return m != null && v != null && key.length() == m.length() + 1 + v.length() && key.startsWith(m)
                && key.charAt(m.length()) == ':' && key.endsWith(v);
    }

    /** A request on its way through the model: its outcome when it ends. */
    private final class Pending implements ModelCalls.Answer {
        private final RequestEnvelope request;
        private final ResultFuture<Outcome> future;
        /** When it was submitted, epoch ns, when traced; 0: not traced. */
        long submittedNanos;

        Pending(RequestEnvelope request, ResultFuture<Outcome> future) {
            this.request = request;
            this.future = future;
        }

        @Override
        public void answered(Prediction p, Throwable error, Submitted timing) {
            long now = System.currentTimeMillis();
            Outcome o;
            if (error != null) {
                LOG.warn("Request {} failed in the batcher", request.id, error);
                o = Outcomes.failure(request, ErrorCode.INTERNAL, "internal error: " + error, now);
            } else if (p.isSuccess()) {
                o = Outcomes.success(request, p.response(), now);
            } else {
                o = Outcomes.failure(request, p.errorCode(), p.error(), now);
            }
            if (timing != null) {
                o.queueMicros = timing.queueNanos() < 0 ? -1 : timing.queueNanos() / 1_000;
                o.modelMicros = timing.modelNanos() < 0 ? -1 : timing.modelNanos() / 1_000;
            }
            if (submittedNanos != 0) {
                traced(timing);
            }
            future.complete(List.of(o));
        }

        /** Its wait in the batcher's queue as a span {@code queue <model>} of its trace; the call has its own. */
        private void traced(Submitted timing) {
            tracing.unlink(request.id);
            if (timing == null || timing.queueNanos() < 0) {
                return;
            }
            Span queued = tracing.startChild("queue " + request.model, SpanKind.INTERNAL, request.traceparent,
                    request.tracestate, submittedNanos);
            queued.setAttribute(SpanAttributes.REQUEST_ID, request.id);
            queued.setAttribute(SpanAttributes.MODEL, request.model);
            queued.setAttribute(SpanAttributes.BATCH_REQUESTS, (long) timing.batchRequests());
            queued.end(submittedNanos + timing.queueNanos(), TimeUnit.NANOSECONDS);
        }

        /** The safety net, on the sweep's thread: a request without a result after {@code timeoutMs}. */
        @Override
        public void timedOut() {
            if (submittedNanos != 0) {
                tracing.unlink(request.id);
            }
            safetyNetTimeouts.inc();
            if (safetyNetLogged.getAndIncrement() < 10) { // a stuck batcher fails every request in flight
                LOG.error("Request {} reached the safety-net timeout of {} ms (async.timeout-ms): a batcher or a "
                        + "model call is stuck beyond what its watchdog caught, or the timeout is shorter than the "
                        + "queue; failing it with TIMEOUT (see the counter safetyNetTimeouts)", request.id,
                        settings.timeoutMs());
            }
            future.complete(List.of(Outcomes.failure(request, ErrorCode.TIMEOUT, "safety net: no result within "
                    + settings.timeoutMs() + " ms (async.timeout-ms); something in the pipeline is stuck",
                    System.currentTimeMillis())));
        }
    }

    @Override
    public void close() {
        tracing = JobTracing.giveBack(tracing);
        if (calls != null) {
            calls.close();
            calls = null;
        }
        if (models != null) {
            models.release();
            models = null;
        }
    }
}
