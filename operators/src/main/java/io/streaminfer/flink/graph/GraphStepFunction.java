package io.streaminfer.flink.graph;

import io.streaminfer.batching.Submitted;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.inference.ModelCalls;
import io.streaminfer.flink.inference.SharedGenerator;
import io.streaminfer.flink.inference.SubtaskModels;
import io.streaminfer.flink.inference.SubtaskModels.ServedModel;
import io.streaminfer.flink.ingest.PreparerFactory;
import io.streaminfer.flink.records.GraphRecord;
import io.streaminfer.flink.tracing.JobTracing;
import io.streaminfer.flink.tracing.TracedStep;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.generation.GenerationResult;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
 * timeout_ms} fails the request with TIMEOUT, naming the step, and without one the job's safety net does. Calls,
 * the byte budget, the timeout and the retries of transient faults are {@link ModelCalls}', as for one-step
 * requests. Use with {@code AsyncDataStream.unorderedWait} and a timeout of 0.
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
    private transient ModelCalls calls;
    private transient StepMetrics metrics;
    /** A generative step's engine (the subtask's, shared) and prompts; null for a one-shot model's step. */
    private transient SharedGenerator generator;
    private transient StepPrompts prompts;
    /** Null: tracing off. */
    private transient JobTracing tracing;

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
        tracing = JobTracing.acquire(settings.tracing());
        step = plan.step(node);
        ModelVersion version = ModelRepository.open(Path.of(settings.modelsDir())).resolve(step.model,
                step.modelVersion);
        models = SubtaskModels.acquire(getRuntimeContext(), settings);
        if (step.generative()) {
            generator = models.generator(version, getRuntimeContext().getMetricGroup());
            prompts = new StepPrompts(step, Path.of(settings.modelsDir()));
            preparer = Preparers.load(version);
        } else {
            served = models.served(version, getRuntimeContext().getMetricGroup());
            preparer = preparers.create(version);
        }
        metrics = new StepMetrics(getRuntimeContext().getMetricGroup(), plan.graph(), step.name);
        // A step's own timeout; otherwise the job's safety net.
        long timeoutMs = step.timeoutMs > 0 ? step.timeoutMs : settings.timeoutMs();
        calls = new ModelCalls(plan.name(node) + "-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                models.bytes(), timeoutMs, settings.retries(), settings.retryDelayMs(), " (graph " + plan.name(node) + ")",
                getRuntimeContext().getMetricGroup());
    }

    @Override
    public void asyncInvoke(GraphRecord in, ResultFuture<GraphRecord> out) throws Exception {
        if (in.isProgress() || !in.run) {
            if (!in.isProgress() && Gate.fits(plan, in) && in.steps[node] == GraphRecord.SKIPPED) {
                metrics.skipped.inc();
            }
            out.complete(List.of(in)); // not this step's to run: on to the next
            return;
        }
        ResultFuture<GraphRecord> result = TracedStep.of(out, tracing, in, step.name, step.model);
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
        if (step.generative()) {
            generate(r, tensors, now, result);
            return;
        }
        PreparedRequest prepared;
        try {
            prepared = preparer.prepare(request(r, tensors));
        } catch (InferenceException e) {
            metrics.failed.inc();
            result.complete(List.of(fail(r, e.code(), step.describe() + " failed: " + e.getMessage())));
            return;
        }
        // A step's own timeout is also a deadline in the queue: no model time for what will time out anyway.
        long stepDeadline = step.timeoutMs > 0 ? Math.min(r.deadlineMs, now + step.timeoutMs) : r.deadlineMs;
        calls.submit(served, r.id, prepared, r.tensors.length + prepared.bytes(), r.priority, stepDeadline,
                new ModelCalls.Answer() {
                    @Override
                    public void answered(Prediction p, Throwable error, Submitted timing) {
                        result.complete(List.of(done(r, tensors, timing, p, error)));
                    }

                    @Override
                    public void timedOut() {
                        result.complete(List.of(timeout(r)));
                    }
                });
    }

    /**
     * A generative step: one prompt per row, generated on the subtask's engine (so its sequences decode with
     * everything else that model generates here); the step's output {@code text_output} holds the texts in row
     * order. The step's {@code timeout_ms} (and the request's deadline) is the sequences' deadline.
     */
    private void generate(GraphRecord r, Map<String, Tensor> tensors, long now, ResultFuture<GraphRecord> result)
            throws InterruptedException {
        String broken = generator.engine().failure();
        if (broken != null) {
            throw new IllegalStateException(step.describe() + " cannot generate: " + broken);
        }
        long stepDeadline = step.timeoutMs > 0 ? Math.min(r.deadlineMs, now + step.timeoutMs) : r.deadlineMs;
        List<CompletableFuture<GenerationResult>> rows = new ArrayList<>();
        long started = System.nanoTime();
        try {
            List<String> texts = prompts.render(tensors);
            for (int row = 0; row < texts.size(); row++) {
                String id = r.id + "/" + step.name + "/" + row;
                GenerationPrompt p = (GenerationPrompt) preparer.prepare(new InferenceRequest(id,
                        prompts.template().parameters(), List.of(Tensor.ofStrings(GenerationOptions.TEXT_INPUT,
                                texts.get(row))), null)).payload();
                generator.engine().awaitRoom();
                rows.add(generator.engine().submit(GenerationRequest.builder(id, p.tokens(), p.params())
                        .deadlineMs(stepDeadline).priority(r.priority).build()));
            }
        } catch (InferenceException e) {
            rows.forEach(f -> f.cancel(false));
            metrics.failed.inc();
            result.complete(List.of(fail(r, e.code(), step.describe() + " failed: " + e.getMessage())));
            return;
        }
        CompletableFuture.allOf(rows.toArray(new CompletableFuture[0])).whenComplete((ok, error) ->
                result.complete(List.of(generated(r, tensors, rows, stepDeadline, System.nanoTime() - started))));
    }

    private GraphRecord generated(GraphRecord r, Map<String, Tensor> tensors,
            List<CompletableFuture<GenerationResult>> rows, long stepDeadline, long nanos) {
        String[] texts = new String[rows.size()];
        for (int i = 0; i < texts.length; i++) {
            GenerationResult g;
            try {
                g = rows.get(i).join();
            } catch (RuntimeException e) {
                return fail(r, ErrorCode.INTERNAL, step.describe() + " failed: internal error: " + e);
            }
            switch (g.finish()) {
                case STOP, LENGTH -> texts[i] = g.text();
                case EXPIRED -> {
                    if (System.currentTimeMillis() <= r.deadlineMs && stepDeadline < r.deadlineMs) {
                        metrics.timeouts.inc();
                        return fail(r, ErrorCode.TIMEOUT, timeoutReason());
                    }
                    metrics.expired.inc();
                    return fail(r, ErrorCode.DEADLINE_EXCEEDED, "deadline passed during " + step.describe());
                }
                case CANCELLED, ERROR -> {
                    metrics.failed.inc();
                    return fail(r, ErrorCode.MODEL_ERROR, step.describe() + " failed: "
                            + (g.error() == null ? g.finish().wireName() : g.error()));
                }
            }
        }
        String name = step.name + "." + GenerationOptions.TEXT_OUTPUT;
        tensors.put(name, Tensor.ofStrings(name, texts));
        r.tensors = GraphTensors.encode(tensors);
        r.steps[node] = GraphRecord.RAN;
        r.modelMicros[node] = nanos / 1_000;
        metrics.ran(rows.size(), -1, nanos);
        return r;
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

    /** Past the step's {@code timeout_ms}, or without one the job's safety net: TIMEOUT, naming the step. */
    private GraphRecord timeout(GraphRecord r) {
        metrics.timeouts.inc();
        if (step.timeoutMs > 0) {
            LOG.info("Request {}: {} timed out after {} ms", r.id, step.describe(), step.timeoutMs);
            return fail(r, ErrorCode.TIMEOUT, timeoutReason());
        }
        LOG.error("Request {} reached the safety-net timeout of {} ms in {}: the batcher or a model call is stuck "
                + "beyond what its watchdog caught", r.id, settings.timeoutMs(), step.describe());
        return fail(r, ErrorCode.TIMEOUT, "safety net: " + step.describe() + " gave no result within "
                + settings.timeoutMs() + " ms (async.timeout-ms); something in the pipeline is stuck");
    }

    @Override
    public void close() {
        tracing = JobTracing.giveBack(tracing);
        if (calls != null) {
            calls.close();
            calls = null;
        }
        generator = null; // the subtask's models close it with their last user
        if (preparer != null) {
            preparer.close();
        }
        if (models != null) {
            models.release();
            models = null;
        }
    }
}
