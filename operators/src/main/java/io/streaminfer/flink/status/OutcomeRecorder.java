package io.streaminfer.flink.status;

import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.StatusUpdate;
import io.streaminfer.flink.tracing.JobTracing;
import io.streaminfer.flink.tracing.PublishSpans;
import io.streaminfer.tracing.TracingSettings;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by request ID: records each request's final outcome once, and publishes every status record of a request,
 * in order: ACCEPTED (or RUNNING at a graph step), then the final one. The first final outcome of an ID is kept,
 * published as the result and as the one final status; a later one (possible only through a duplicate: a request
 * run twice because its admission had expired before its final state did, at the state TTL's edge) is not published,
 * and its caller is answered from state as a replay's is.
 *
 * <p>A thin operator over parts with one job each:
 * <ul>
 *   <li>{@link FinalOutcomes}: the final outcome kept per ID, in the forms {@link KeptOutcome} describes (compact;
 *       results kept shorter than IDs, {@code resultTtl}; a replay of a success after that is answered
 *       RESULT_NOT_KEPT, saying when it succeeded and that its result was published then);</li>
 *   <li>{@link ReplayRouting}: replays answered from the kept outcome, or waiting for it while their request
 *       runs;</li>
 *   <li>{@link HeldAccepted}: ACCEPTED held back for {@code acceptedDelayMs}, left out for requests that end
 *       sooner;</li>
 *   <li>{@link FailoverReconciliation}: one final state across a failover with at-least-once delivery;</li>
 *   <li>{@link RecorderMetrics}.</li>
 * </ul>
 */
@Internal
public class OutcomeRecorder extends KeyedProcessFunction<String, Outcome, Outcome> implements CheckpointedFunction {
    private static final long serialVersionUID = 2L;
    public static final OutputTag<StatusUpdate> STATUS = new OutputTag<>("final-status") {};

    private final Duration stateTtl;
    /** How long a success's result is kept for replays; equal to the state TTL: kept in its outcome, one value. */
    private final Duration resultTtl;
    private final PublishedFinals publishedFinals;
    private final long acceptedDelayMs;

    private transient FinalOutcomes finals;
    private transient ReplayRouting replays;
    private transient HeldAccepted held;
    private transient FailoverReconciliation restored;
    private transient RecorderMetrics metrics;
    private TracingSettings tracingSettings = TracingSettings.off();
    /** Null: tracing off. */
    private transient JobTracing tracing;

    public OutcomeRecorder(Duration stateTtl) {
        this(stateTtl, PublishedFinals.none());
    }

    /** @param publishedFinals reads back published final states on a restore ({@link PublishedFinals#none()}) */
    public OutcomeRecorder(Duration stateTtl, PublishedFinals publishedFinals) {
        this(stateTtl, publishedFinals, 0);
    }

    /**
     * @param acceptedDelayMs ACCEPTED is published only for requests without a newer status after this long; 0:
     *     at once
     */
    public OutcomeRecorder(Duration stateTtl, PublishedFinals publishedFinals, long acceptedDelayMs) {
        this(stateTtl, stateTtl, publishedFinals, acceptedDelayMs);
    }

    /**
     * @param resultTtl how long a success's result is kept to answer replays (at most {@code stateTtl}, which it
     *     is by default); 0: not at all
     */
    public OutcomeRecorder(Duration stateTtl, Duration resultTtl, PublishedFinals publishedFinals,
            long acceptedDelayMs) {
        if (acceptedDelayMs < 0) {
            throw new IllegalArgumentException("accepted delay must be >= 0 ms, got " + acceptedDelayMs);
        }
        if (resultTtl.isNegative() || resultTtl.compareTo(stateTtl) > 0) {
            throw new IllegalArgumentException("results are kept between 0 and the state TTL (" + stateTtl
                    + "), not " + resultTtl);
        }
        this.stateTtl = stateTtl;
        this.resultTtl = resultTtl;
        this.publishedFinals = Objects.requireNonNull(publishedFinals, "publishedFinals");
        this.acceptedDelayMs = acceptedDelayMs;
    }

    /** Traces each final outcome's publish ({@link PublishSpans}). */
    public OutcomeRecorder tracing(TracingSettings settings) {
        this.tracingSettings = Objects.requireNonNull(settings, "settings");
        return this;
    }

    @Override
    public void close() throws Exception {
        tracing = JobTracing.giveBack(tracing);
        super.close();
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        held = new HeldAccepted(acceptedDelayMs);
        restored = new FailoverReconciliation(publishedFinals, stateTtl);
        held.initialize(context.getOperatorStateStore(), context.isRestored(), this::mine);
        restored.initialize(context.getOperatorStateStore(), context.isRestored(),
                getRuntimeContext().getTaskInfo().getAttemptNumber(), this::mine);
    }

    /** Whether {@code id} is a key of this subtask (restored union lists hold every subtask's). */
    private boolean mine(String id) {
        var task = getRuntimeContext().getTaskInfo();
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(id, task.getMaxNumberOfParallelSubtasks(),
                task.getNumberOfParallelSubtasks()) == task.getIndexOfThisSubtask();
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        restored.snapshot(System.currentTimeMillis());
        held.snapshot();
    }

    @Override
    public void open(OpenContext openContext) {
        tracing = JobTracing.acquire(tracingSettings);
        finals = new FinalOutcomes(stateTtl, resultTtl);
        finals.open(getRuntimeContext());
        replays = new ReplayRouting(stateTtl);
        replays.open(getRuntimeContext());
        metrics = new RecorderMetrics(getRuntimeContext().getMetricGroup());
        if (held == null) { // not initialized through initializeState (some test harnesses)
            held = new HeldAccepted(acceptedDelayMs);
            restored = new FailoverReconciliation(publishedFinals, stateTtl);
        }
    }

    @Override
    public void processElement(Outcome o, Context ctx, Collector<Outcome> out) throws Exception {
        if (!held.isEmpty()) {
            held.flushDue(ctx.timerService().currentProcessingTime(), restored::finalPublished,
                    s -> ctx.output(STATUS, s));
            held.arm(ctx.timerService()); // restored ones, whose timer may be another subtask's now
        }
        FinalOutcomes.Lookup kept = finals.lookup();
        switch (o.kind()) {
            case PROGRESS -> progress(o, kept, ctx);
            // An answer is what this makes of a replay; should one come in, it is a replay all the same.
            case REPLAY, REPLAY_ANSWER -> replay(o, kept, out);
            case FINAL -> decide(o, kept, ctx, out);
            default -> throw new IllegalStateException("unknown kind of outcome: " + o);
        }
    }

    /** Published only while nothing is final, so no progress record can land after the final one. */
    private void progress(Outcome o, FinalOutcomes.Lookup kept, Context ctx) {
        if (kept.hasFinal() || restored.finalPublished(o.id)) {
            return;
        }
        StatusUpdate progress = StatusUpdate.of(o);
        if (held.holds() && o.state == RequestState.ACCEPTED) {
            held.hold(progress, ctx.timerService());
            return;
        }
        StatusUpdate accepted = held.take(o.id);
        if (accepted != null) {
            ctx.output(STATUS, accepted); // ACCEPTED comes first, before any RUNNING
        }
        ctx.output(STATUS, progress);
    }

    private void replay(Outcome o, FinalOutcomes.Lookup kept, Collector<Outcome> out) throws Exception {
        if (!kept.hasFinal()) {
            metrics.replaysInFlight.inc();
            if (!kept.awaited()) {
                finals.markAwaited(o.id);
            }
            replays.await(o, kept.awaited());
            return;
        }
        metrics.replaysAnswered.inc();
        out.collect(Outcomes.replayAnswer(KeptOutcome.published(finals.withResult(kept.kept())), o));
    }

    private void decide(Outcome o, FinalOutcomes.Lookup kept, Context ctx, Collector<Outcome> out)
            throws Exception {
        if (kept.hasFinal()) {
            // Run twice (admitted again once its admission had expired): its caller is answered as a replay's.
            metrics.duplicateFinals.inc();
            Outcome full = finals.withResult(kept.kept());
            if (KeptOutcome.isResultNotKept(full) && o.state == RequestState.SUCCEEDED) {
                // Its published result was not kept; this run's is, for it and later replays.
                finals.keep(o);
                out.collect(Outcomes.replayAnswer(o, o));
                return;
            }
            out.collect(Outcomes.replayAnswer(KeptOutcome.published(full), o));
            return;
        }
        if (held.take(o.id) != null) {
            metrics.acceptedLeftOut.inc(); // ended before its ACCEPTED was due: the final status alone says it all
        }
        FailoverReconciliation.Reconciled r = restored.reconcile(o, metrics);
        if (!r.publish()) {
            finals.keepResultNotKept(r.decided());
            if (kept.awaited()) {
                metrics.replaysAnswered.inc(replays.answerWaiting(r.decided(), out, false));
            }
            return;
        }
        Outcome decided = r.decided();
        if (tracing != null && decided.traceparent != null) {
            PublishSpans.published(tracing, decided);
        }
        finals.keep(decided);
        out.collect(decided);
        ctx.output(STATUS, StatusUpdate.of(decided));
        metrics.published(decided);
        if (kept.awaited()) {
            metrics.replaysAnswered.inc(replays.answerWaiting(decided, out, true));
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Outcome> out) {
        if (!held.timerFired(timestamp)) {
            return; // a timer restored from before a failover; the current one flushes
        }
        held.flushDue(Math.max(timestamp, ctx.timerService().currentProcessingTime()), restored::finalPublished,
                s -> ctx.output(STATUS, s));
        held.arm(ctx.timerService());
    }
}
