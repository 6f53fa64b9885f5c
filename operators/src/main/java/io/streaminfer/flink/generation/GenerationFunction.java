package io.streaminfer.flink.generation;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.inference.SharedGenerator;
import io.streaminfer.flink.inference.SubtaskModels;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.tracing.JobTracing;
import io.streaminfer.flink.tracing.SpanAttributes;
import io.streaminfer.generation.FinishReason;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.generation.GenerationResult;
import io.streaminfer.generation.TokenDelta;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation step: each request of a generative model joins its model's {@link GenerationEngine} on this
 * subtask (continuous batching: it starts at the next decoding step), streamed ones publish their text per step on
 * the token log, and each request's future completes once with its one final outcome, after its last token record
 * is readable.
 *
 * <p>Use with {@code AsyncDataStream.unorderedWait} on a stream keyed by request ID, with a timeout of 0 and a
 * capacity above the engines' running and waiting sequences: the operator's checkpointed in-flight queue is what a
 * failover re-runs. A re-run must not contradict what readers saw, so a subtask that starts reads back what was
 * published of its requests (since the oldest request in flight at its snapshot, or {@link
 * GenerationStageSettings#readBackMillis()} without one) after fencing the writer before it, and a re-run goes on
 * after those tokens, as a forced prefix, with the next sequence number; one whose last record was published ends
 * as it says. Decoding the prefix again in another batch may pick other low-order bits, never other tokens.
 *
 * <p>Cancels come from the {@link CancelFeed} (all subtasks read all of them): a running sequence ends at the next
 * step with the text so far (CANCELLED); one that arrives first cancels its request on arrival.
 */
public class GenerationFunction extends RichAsyncFunction<RequestEnvelope, Outcome> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GenerationFunction.class);
    /** Clock skew and commit delays between a snapshot and the records it covers. */
    private static final long READ_BACK_MARGIN_MS = 60_000;
    private static final AttributeKey<String> FINISH = AttributeKey.stringKey("streaminfer.generation.finish_reason");

    private final GenerationStageSettings settings;
    private final InferenceSettings inference;

    private transient SubtaskModels models;
    private transient Map<String, SharedGenerator> served;
    private transient TokenLog.Writer writer;
    private transient AutoCloseable cancels;
    private transient RecentCancels recentCancels;
    /** Streamed requests in flight: where their records go. */
    private transient Map<String, Route> routes;
    /** Per request, the publish of its latest records: its outcome waits for it. */
    private transient Map<String, CompletableFuture<Void>> lastPublished;
    /** Requests in flight and when they were accepted: a snapshot records the oldest. */
    private transient Map<String, Long> inFlight;
    /** What was published before this subtask started, of requests not re-run yet. */
    private transient Map<String, PublishedStream> published;
    private transient ListState<Long> restoreState;
    private transient long readBackFrom;
    private transient int previousParallelism;
    private transient Counter resumed;
    /** Null: tracing off. */
    private transient JobTracing tracing;

    /**
     * @param inference the job's inference settings: the engines are the subtask's ({@link SubtaskModels}), shared
     *     with the graph steps that generate with the same model
     */
    public GenerationFunction(GenerationStageSettings settings, InferenceSettings inference) {
        this.settings = settings;
        this.inference = inference;
    }

    private record Route(String model, int partition, String traceparent, String tracestate) { }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        // Union state: after a rescale every subtask sees every entry: [snapshot time, oldest in flight, parallelism].
        restoreState = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("generation-restore", Types.LONG));
        long now = System.currentTimeMillis();
        readBackFrom = now - settings.readBackMillis();
        previousParallelism = 0;
        if (context.isRestored()) {
            long from = Long.MAX_VALUE;
            List<Long> entries = new ArrayList<>();
            restoreState.get().forEach(entries::add);
            for (int i = 0; i + 2 < entries.size(); i += 3) {
                from = Math.min(from, Math.min(entries.get(i), entries.get(i + 1)));
                previousParallelism = (int) Math.max(previousParallelism, entries.get(i + 2));
            }
            if (from != Long.MAX_VALUE) {
                readBackFrom = from - READ_BACK_MARGIN_MS;
            }
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        long now = System.currentTimeMillis();
        long oldest = now;
        for (long accepted : inFlight.values()) {
            oldest = Math.min(oldest, accepted);
        }
        restoreState.update(List.of(now, oldest,
                (long) getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks()));
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        var task = getRuntimeContext().getTaskInfo();
        int subtask = task.getIndexOfThisSubtask();
        int parallelism = task.getNumberOfParallelSubtasks();
        int maxParallelism = task.getMaxNumberOfParallelSubtasks();
        tracing = JobTracing.acquire(inference.tracing());
        routes = new ConcurrentHashMap<>();
        lastPublished = new ConcurrentHashMap<>();
        inFlight = new ConcurrentHashMap<>();
        recentCancels = new RecentCancels(settings.readBackMillis() + READ_BACK_MARGIN_MS, 100_000);
        MetricGroup group = getRuntimeContext().getMetricGroup();
        resumed = group.counter("generationsResumed");
        // Fence the writers of the attempt before, then read what they committed: nothing of theirs comes after.
        writer = settings.tokenLog().openWriter(settings.jobName(), subtask, parallelism, previousParallelism);
        Map<String, List<TokenRecord>> back = settings.tokenLog().readBack(readBackFrom,
                id -> KeyGroupRangeAssignment.assignKeyToParallelOperator(id, maxParallelism, parallelism) == subtask);
        published = new ConcurrentHashMap<>();
        back.forEach((id, records) -> published.put(id, PublishedStream.of(records)));
        if (!published.isEmpty()) {
            LOG.info("Subtask {} read back the published text of {} generation(s) since {}", subtask,
                    published.size(), java.time.Instant.ofEpochMilli(readBackFrom));
        }
        served = new HashMap<>();
        models = SubtaskModels.acquire(getRuntimeContext(), inference);
        ModelRepository repository = ModelRepository.open(Path.of(settings.modelsDir()));
        for (ModelRepository.ModelEntry e : repository.models()) {
            if (!e.config().isGenerative() || !settings.models().includes(e.name())) {
                continue;
            }
            for (String v : e.versions()) {
                SharedGenerator g = models.generator(e.version(v), group);
                g.listen(this::publish);
                served.put(g.version().key(), g);
            }
        }
        cancels = settings.cancelFeed().start(settings.jobName(), subtask, readBackFrom, this::cancel);
    }

    @Override
    public void asyncInvoke(RequestEnvelope r, ResultFuture<Outcome> future) throws Exception {
        if (r.decided != null) {
            future.complete(List.of(r.decided));
            return;
        }
        long now = System.currentTimeMillis();
        PreparedRequest prepared = PreparedRequestCodec.decode(r.prepared);
        SharedGenerator s = served.get(prepared.modelKey());
        if (s == null || !(prepared.payload() instanceof GenerationPrompt prompt)) {
            future.complete(List.of(Outcomes.failure(r, ErrorCode.UNKNOWN_MODEL, "model '" + r.model + ":"
                    + r.modelVersion + "' is not a generative model served by this job", now)));
            return;
        }
        String broken = s.engine().failure();
        if (broken != null) {
            // A fresh task brings a fresh engine; this request is re-run after the restore.
            throw new IllegalStateException("generative model " + prepared.modelKey() + " cannot serve: " + broken);
        }
        if (recentCancels.contains(r.id, now)) {
            future.complete(List.of(GenerationOutcomes.of(r, FinishReason.CANCELLED, "", prompt.tokens().length, 0,
                    null, now)));
            return;
        }
        PublishedStream before = published.remove(r.id);
        if (before != null && before.ended()) {
            // Its last record was out before the failover: it ends as readers saw it end.
            TokenRecord last = before.last();
            future.complete(List.of(GenerationOutcomes.of(r, before.finishReason(), before.text(),
                    last.promptTokens(), last.completionTokens(), null, now)));
            return;
        }
        GenerationRequest.Builder request = GenerationRequest.builder(r.id, prompt.tokens(), prompt.params())
                .deadlineMs(r.deadlineMs)
                .priority(r.priority)
                .stream(prompt.stream());
        if (before != null) {
            request.resume(before.resume());
            resumed.inc();
            LOG.info("Request {} resumes after the {} token record(s) published before the restore", r.id,
                    before.records().size());
        }
        if (prompt.stream()) {
            routes.put(r.id, new Route(r.model, r.replyPartition, r.traceparent, r.tracestate));
        }
        inFlight.put(r.id, r.acceptedAt);
        s.engine().awaitRoom();
        long submitted = tracing != null && r.traceparent != null ? JobTracing.nowNanos() : 0;
        s.engine().submit(request.build()).whenComplete((result, error) -> {
            if (submitted != 0 && result != null) {
                traced(r, result, submitted);
            }
            finished(r, result, error, future);
        });
    }

    /** A cancel from the feed: ends the request wherever it waits or runs here, or on arrival. */
    private void cancel(String id) {
        recentCancels.add(id, System.currentTimeMillis());
        for (SharedGenerator s : served.values()) {
            if (s.engine().cancel(id)) {
                LOG.info("Request {} cancelled", id);
            }
        }
    }

    /** One step's deltas, on the engine's thread: published together. */
    private void publish(List<TokenDelta> deltas) {
        List<TokenLog.Routed> records = new ArrayList<>(deltas.size());
        for (TokenDelta d : deltas) {
            Route route = routes.get(d.id());
            if (route == null) {
                continue;
            }
            TokenRecord record = d.isLast()
                    ? new TokenRecord(d.id(), d.seq(), d.text(), d.tokens(), true, d.finish().wireName(),
                            d.promptTokens(), d.completionTokens())
                    : TokenRecord.delta(d.id(), d.seq(), d.text(), d.tokens());
            records.add(new TokenLog.Routed(record, route.model(), route.partition(), route.traceparent(),
                    route.tracestate()));
        }
        if (records.isEmpty()) {
            return;
        }
        CompletableFuture<Void> done = writer.publish(records);
        for (TokenLog.Routed routed : records) {
            lastPublished.put(routed.record().id(), done);
        }
    }

    /**
     * Where a generation's time went, as spans of its trace: {@code queue}, {@code prefill} (to its first token) and
     * {@code decode} (the rest), made once it ended from the times the engine measured: nothing per token.
     */
    private void traced(RequestEnvelope r, GenerationResult result, long submitted) {
        long prefillStart = submitted + result.queueNanos();
        long firstToken = submitted + (result.firstTokenNanos() < 0 ? result.totalNanos() : result.firstTokenNanos());
        span("queue " + r.model, r, submitted).end(prefillStart, TimeUnit.NANOSECONDS);
        span("prefill " + r.model, r, prefillStart)
                .setAttribute(SpanAttributes.PROMPT_TOKENS, (long) result.promptTokens())
                .end(firstToken, TimeUnit.NANOSECONDS);
        if (result.firstTokenNanos() >= 0) {
            span("decode " + r.model, r, firstToken)
                    .setAttribute(SpanAttributes.COMPLETION_TOKENS, (long) result.completionTokens())
                    .setAttribute(FINISH, result.finish().wireName())
                    .end(submitted + result.totalNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** A span of the request's trace, started at {@code start} (epoch ns). */
    private Span span(String name, RequestEnvelope r, long start) {
        return tracing.startChild(name, SpanKind.INTERNAL, r.traceparent, r.tracestate, start)
                .setAttribute(SpanAttributes.REQUEST_ID, r.id)
                .setAttribute(SpanAttributes.MODEL, r.model);
    }

    private void finished(RequestEnvelope r, GenerationResult result, Throwable error, ResultFuture<Outcome> future) {
        inFlight.remove(r.id);
        routes.remove(r.id);
        CompletableFuture<Void> published = lastPublished.remove(r.id);
        if (error instanceof CancellationException
                || (error != null && error.getCause() instanceof CancellationException)) {
            return; // the engine closed with the task: the restored job re-runs this request
        }
        long now = System.currentTimeMillis();
        Outcome outcome = error != null
                ? Outcomes.failure(r, ErrorCode.INTERNAL, "internal error: " + error, now)
                : GenerationOutcomes.of(r, result.finish(), result.text(), result.promptTokens(),
                        result.completionTokens(), result.error(), now);
        if (result != null) {
            outcome.queueMicros = result.queueNanos() / 1_000;
            outcome.modelMicros = (result.totalNanos() - result.queueNanos()) / 1_000;
        }
        if (published == null) {
            future.complete(List.of(outcome));
            return;
        }
        // Its final outcome after its last token record is readable; a failed write fails the task.
        published.whenComplete((ok, failed) -> {
            if (failed != null) {
                future.completeExceptionally(failed);
            } else {
                future.complete(List.of(outcome));
            }
        });
    }

    @Override
    public void timeout(RequestEnvelope r, ResultFuture<Outcome> future) {
        future.complete(List.of(Outcomes.failure(r, ErrorCode.TIMEOUT, "safety net: no result within the async "
                + "timeout; a generation is stuck", System.currentTimeMillis())));
    }

    @Override
    public void close() throws Exception {
        tracing = JobTracing.giveBack(tracing);
        if (cancels != null) {
            cancels.close();
        }
        if (models != null) {
            models.release(); // the last user of the subtask's models closes the engines
            models = null;
        }
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }
}
