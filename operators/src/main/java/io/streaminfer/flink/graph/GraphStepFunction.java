package io.streaminfer.flink.graph;

import io.streaminfer.batching.ByteBudget;
import io.streaminfer.batching.Submitted;
import io.streaminfer.batching.Work;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.inference.internal.SubtaskModels;
import io.streaminfer.flink.inference.internal.SubtaskModels.ServedModel;
import io.streaminfer.flink.ingest.PreparerFactory;
import io.streaminfer.flink.records.GraphRecord;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RequestPreparer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One step of a graph, as an async operator: builds the step's request from the graph's tensors (each model input
 * from its first available source, renamed), prepares it for the step's model (text is tokenized here), and submits
 * it to that model's {@link io.streaminfer.batching.MicroBatcher} of this subtask ({@link SubtaskModels}), shared
 * with the one-step inference operator and every other step that runs the model; so step 2 of many requests forms
 * its own batches with that model's budget. The outputs join the record as {@code step.output}. Records the step's
 * gate did not let run (skipped, failed before, progress) pass through at once.
 *
 * <p>Failures name the step, its model and the reason, e.g. {@code step 'score' (model qa-scorer:1) failed:
 * ...}. The request's deadline bounds every step (EXPIRED, no model time once passed); a step's own {@code
 * timeout_ms}, the operator's timeout, fails the request with TIMEOUT, naming the step. A transient fault (INTERNAL)
 * is left for the operator's retry strategy. In flight is bounded as for one-step requests: the model's queue (in
 * work) and the subtask's byte budget.
 */
@Internal
public class GraphStepFunction extends RichAsyncFunction<GraphRecord, GraphRecord> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GraphStepFunction.class);

    private final GraphPlan plan;
    private final int node;
    private final InferenceSettings settings;
    private final PreparerFactory preparers;

    private transient GraphPlan.Step step;
    private transient SubtaskModels models;
    private transient ServedModel served;
    private transient RequestPreparer preparer;
    private transient ByteBudget bytes;
    private transient StepMetrics metrics;
    private transient Map<GraphRecord, Submitted> pending;

    /**
     * @param settings the job's inference settings (device, batching knobs, byte budget): the same as the one-step
     *     operator's, as they share models
     */
    public GraphStepFunction(GraphPlan plan, int node, InferenceSettings settings, PreparerFactory preparers) {
        this.plan = plan;
        this.node = node;
        this.settings = settings;
        this.preparers = preparers;
    }

    @Override
    public void open(OpenContext openContext) {
        step = plan.step(node);
        pending = Collections.synchronizedMap(new IdentityHashMap<>());
        ModelVersion version = ModelRepository.open(Path.of(settings.modelsDir())).resolve(step.model,
                step.modelVersion);
        models = SubtaskModels.acquire(getRuntimeContext(), settings);
        served = models.served(version, getRuntimeContext().getMetricGroup());
        bytes = models.bytes();
        preparer = preparers.create(version);
        metrics = new StepMetrics(getRuntimeContext().getMetricGroup(), plan.graph(), step.name);
    }

    @Override
    public void asyncInvoke(GraphRecord in, ResultFuture<GraphRecord> result) throws Exception {
        if (in.isProgress() || !in.run) {
            if (!in.isProgress() && Gate.fits(plan, in) && in.steps[node] == GraphRecord.SKIPPED) {
                metrics.skipped.inc();
            }
            result.complete(List.of(in)); // not this step's to run: on to the next
            return;
        }
        String broken = served.batcher().failure();
        if (broken != null) {
            // Failing the task restarts it from the last checkpoint with fresh replicas; this request is re-run.
            throw new IllegalStateException(step.describe() + " cannot serve: " + broken);
        }
        GraphRecord r = in.copy();
        r.run = false;
        long now = System.currentTimeMillis();
        if (now > r.deadlineMs) {
            metrics.expired.inc();
            result.complete(List.of(fail(r, ErrorCode.DEADLINE_EXCEEDED, "deadline passed " + (now - r.deadlineMs)
                    + " ms before " + step.describe() + " ran; the model was not run")));
            return;
        }
        Map<String, Tensor> tensors = GraphTensors.decode(r.tensors);
        PreparedRequest prepared;
        try {
            prepared = preparer.prepare(request(r, tensors));
        } catch (InferenceException e) {
            metrics.failed.inc();
            result.complete(List.of(fail(r, e.code(), step.describe() + " failed: " + e.getMessage())));
            return;
        }
        Work work = Work.of(prepared.rows(), prepared.maxRowCost(), prepared.realCost());
        long held = r.tensors.length + prepared.bytes();
        bytes.acquire(held);
        try {
            served.batcher().awaitRoom(work);
        } catch (InterruptedException e) {
            bytes.release(held);
            throw e;
        }
        // A step's own timeout is also a deadline in the queue: no model time for what will time out anyway.
        long stepDeadline = step.timeoutMs > 0 ? Math.min(r.deadlineMs, now + step.timeoutMs) : r.deadlineMs;
        Submitted f = served.batcher().submit(r.id, prepared, work, r.priority, stepDeadline);
        pending.put(in, f);
        f.whenComplete((p, error) -> {
            bytes.release(held);
            pending.remove(in);
            if (error instanceof CancellationException) {
                return; // timeout() has answered
            }
            result.complete(List.of(done(r, tensors, f, p, error)));
        });
    }

    /** The step model's request: each of its inputs from the first available source, under the model's name. */
    private InferenceRequest request(GraphRecord r, Map<String, Tensor> tensors) {
        List<Tensor> inputs = new ArrayList<>(step.inputs.size());
        step.inputs.forEach((input, sources) -> inputs.add(GraphTensors.renamed(tensors.get(
                GraphTensors.firstAvailable(sources, tensors)), input)));
        return new InferenceRequest(r.id, inputs);
    }

    private GraphRecord done(GraphRecord r, Map<String, Tensor> tensors, Submitted f, Prediction p, Throwable error) {
        if (error != null) {
            LOG.warn("Request {}: {} failed in the batcher", r.id, step.describe(), error);
            return fail(r, ErrorCode.INTERNAL, step.describe() + " failed: internal error: " + error);
        }
        if (!p.isSuccess()) {
            if (p.errorCode() == ErrorCode.DEADLINE_EXCEEDED && System.currentTimeMillis() <= r.deadlineMs) {
                metrics.timeouts.inc(); // the step's own deadline, not the caller's
                return fail(r, ErrorCode.TIMEOUT, timeoutReason());
            }
            if (p.errorCode() == ErrorCode.DEADLINE_EXCEEDED) {
                metrics.expired.inc();
                return fail(r, p.errorCode(), "deadline passed while the request waited for " + step.describe()
                        + "; the model was not run");
            }
            metrics.failed.inc();
            LOG.info("Request {}: {} failed ({}): {}", r.id, step.describe(), p.errorCode(), p.error());
            return fail(r, p.errorCode(), step.describe() + " failed: " + p.error());
        }
        for (Tensor t : p.response().outputs()) {
            tensors.put(step.name + "." + t.name(), GraphTensors.renamed(t, step.name + "." + t.name()));
        }
        r.tensors = GraphTensors.encode(tensors);
        r.steps[node] = GraphRecord.RAN;
        r.queueMicros[node] = f.queueNanos() < 0 ? -1 : f.queueNanos() / 1_000;
        r.modelMicros[node] = f.modelNanos() < 0 ? -1 : f.modelNanos() / 1_000;
        metrics.ran(f.batchRequests(), f.queueNanos(), f.modelNanos());
        return r;
    }

    private String timeoutReason() {
        return step.describe() + " did not finish within its timeout_ms of " + step.timeoutMs + " ms";
    }

    private GraphRecord fail(GraphRecord r, ErrorCode code, String reason) {
        r.errorCode = code;
        r.reason = reason;
        r.failedStep = step.name;
        r.steps[node] = GraphRecord.FAILED;
        return r;
    }

    /**
     * The operator's timeout: the step's {@code timeout_ms} when it has one, else the job's safety net; both fail
     * the request with TIMEOUT, naming the step.
     */
    @Override
    public void timeout(GraphRecord in, ResultFuture<GraphRecord> result) {
        Submitted f = pending.remove(in);
        if (f != null) {
            f.cancel(false); // a queued request leaves the queue: no model time for a request we gave up on
        }
        GraphRecord r = in.copy();
        r.run = false;
        metrics.timeouts.inc();
        if (step.timeoutMs > 0) {
            LOG.info("Request {}: {} timed out after {} ms", r.id, step.describe(), step.timeoutMs);
            result.complete(List.of(fail(r, ErrorCode.TIMEOUT, timeoutReason())));
        } else {
            LOG.error("Request {} reached the safety-net timeout of {} ms in {}: the batcher or a model call is "
                    + "stuck beyond what its watchdog caught", r.id, settings.timeoutMs(), step.describe());
            result.complete(List.of(fail(r, ErrorCode.TIMEOUT, "safety net: " + step.describe() + " gave no result "
                    + "within " + settings.timeoutMs() + " ms (async.timeout-ms); something in the pipeline is "
                    + "stuck")));
        }
    }

    @Override
    public void close() {
        if (preparer != null) {
            preparer.close();
        }
        if (models != null) {
            models.release();
            models = null;
        }
    }
}
