package io.streaminfer.flink.inference;

import io.streaminfer.batching.ByteBudget;
import io.streaminfer.batching.Submitted;
import io.streaminfer.batching.Work;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.inference.internal.InFlightCalls;
import io.streaminfer.flink.inference.internal.SubtaskModels;
import io.streaminfer.flink.inference.internal.SubtaskModels.ServedModel;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
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
 * again {@link InferenceSettings#retries()} times (counted in {@code retries}). Both are kept here ({@link
 * InFlightCalls}), not by the operator: its per-element timers cost more than the rest of this step.
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
    private transient ByteBudget bytes;
    private transient InFlightCalls<Call> calls;
    private transient Counter safetyNetTimeouts;
    private transient Counter retried;
    private transient AtomicInteger safetyNetLogged;

    public BatchingInferenceFunction(InferenceSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        calls = new InFlightCalls<>("inference-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                settings.timeoutMs(), this::timedOut);
        safetyNetLogged = new AtomicInteger();
        served = new HashMap<>();
        models = SubtaskModels.acquire(getRuntimeContext(), settings);
        bytes = models.bytes();
        MetricGroup group = getRuntimeContext().getMetricGroup();
        group.gauge("requestsInFlight", () -> calls == null ? 0 : calls.size());
        group.gauge("inFlightBytes", bytes::used);
        safetyNetTimeouts = group.counter("safetyNetTimeouts");
        retried = group.counter("retries");
        ModelRepository repository = ModelRepository.open(Path.of(settings.modelsDir()));
        for (ModelRepository.ModelEntry e : repository.models()) {
            if (!e.config().isGraph() && settings.models().includes(e.name())) {
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
        String broken = s.batcher().failure();
        if (broken != null) {
            // Failing the task restarts it from the last checkpoint with fresh replicas; this request is re-run.
            throw new IllegalStateException("model " + r.model + ":" + r.modelVersion + " cannot serve: " + broken);
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
        Call c = new Call(r, resultFuture, s, prepared, work, held);
        calls.add(c);
        submit(c);
    }

    /** Whether {@code key} is {@code model:version} of the envelope, without building that string. */
    private static boolean isKeyOf(String key, RequestEnvelope r) {
        String m = r.model;
        String v = r.modelVersion;
        return m != null && v != null && key.length() == m.length() + 1 + v.length() && key.startsWith(m)
                && key.charAt(m.length()) == ':' && key.endsWith(v);
    }

    private void submit(Call c) {
        Submitted f = c.model.batcher().submit(c.request.id, c.prepared, c.work, c.request.priority,
                c.request.deadlineMs);
        c.submitted = f;
        f.whenComplete((p, error) -> completed(c, f, p, error));
    }

    private void completed(Call c, Submitted f, Prediction p, Throwable error) {
        if (error instanceof CancellationException || c.isFinished()) {
            return; // the safety net fired and has answered
        }
        RequestEnvelope r = c.request;
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
        if (o.isTransient() && c.attempts < settings.retries()) {
            c.attempts++;
            retried.inc();
            LOG.info("Request {} ended {} ({}); trying it again in {} ms ({} of {})", r.id, o.errorCode, o.reason,
                    settings.retryDelayMs(), c.attempts, settings.retries());
            if (calls.later(settings.retryDelayMs(), () -> resubmit(c))) {
                return;
            }
            // closing: answer what we have; the restored job re-runs only requests without an answer
        }
        o.queueMicros = f.queueNanos() < 0 ? -1 : f.queueNanos() / 1_000;
        o.modelMicros = f.modelNanos() < 0 ? -1 : f.modelNanos() / 1_000;
        answer(c, o);
    }

    private void resubmit(Call c) {
        if (c.isFinished()) {
            return;
        }
        try {
            submit(c);
        } catch (RuntimeException e) { // the batcher was closed meanwhile: the subtask is going away
            answer(c, Outcomes.failure(c.request, ErrorCode.INTERNAL, "internal error: " + e,
                    System.currentTimeMillis()));
        }
    }

    private void answer(Call c, Outcome o) {
        if (calls.finish(c)) {
            bytes.release(c.held);
            c.future.complete(List.of(o));
        }
    }

    /** The safety net, on the tracker's thread: a request without a result after {@code timeoutMs}. */
    private void timedOut(Call c) {
        Submitted f = c.submitted;
        if (f != null) {
            f.cancel(false); // a queued request leaves the queue: no model time for a request we gave up on
        }
        bytes.release(c.held);
        safetyNetTimeouts.inc();
        if (safetyNetLogged.getAndIncrement() < 10) { // a stuck batcher fails every request in flight
            LOG.error("Request {} reached the safety-net timeout of {} ms (async.timeout-ms): a batcher or a model "
                    + "call is stuck beyond what its watchdog caught, or the timeout is shorter than the queue; "
                    + "failing it with TIMEOUT (see the counter safetyNetTimeouts)", c.request.id,
                    settings.timeoutMs());
        }
        c.future.complete(List.of(timeoutOutcome(c.request)));
    }

    private Outcome timeoutOutcome(RequestEnvelope r) {
        return Outcomes.failure(r, ErrorCode.TIMEOUT, "safety net: no result within " + settings.timeoutMs()
                + " ms (async.timeout-ms); something in the pipeline is stuck", System.currentTimeMillis());
    }

    /**
     * Flink's own timeout, when the operator was given one (the pipeline gives 0: this function keeps its own); the
     * request's call, if still running, finds its answer taken.
     */
    @Override
    public void timeout(RequestEnvelope r, ResultFuture<Outcome> resultFuture) {
        safetyNetTimeouts.inc();
        resultFuture.complete(List.of(timeoutOutcome(r)));
    }

    /** A request on its way through the batcher: answered once, by its result or by the safety net. */
    private static final class Call extends InFlightCalls.Call {
        final RequestEnvelope request;
        final ResultFuture<Outcome> future;
        final ServedModel model;
        final PreparedRequest prepared;
        final Work work;
        final long held;
        volatile Submitted submitted;
        int attempts; // written by the thread that saw the last try end, read by the next: ordered by the future

        Call(RequestEnvelope request, ResultFuture<Outcome> future, ServedModel model, PreparedRequest prepared,
                Work work, long held) {
            this.request = request;
            this.future = future;
            this.model = model;
            this.prepared = prepared;
            this.work = work;
            this.held = held;
        }
    }

    @Override
    public void close() {
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
