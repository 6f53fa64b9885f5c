package io.streaminfer.flink.status;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.StatusUpdate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed by request ID: records each request's final outcome once. The first final outcome of an ID is stored,
 * published as the result and as the one final status; a later one (possible only through a duplicate) is not
 * published. A replay publishes the stored result again (never a status), routed to the replay's caller; while the
 * request is still running, the replay's route is kept (state {@code waiting-replays}, only for IDs that have one)
 * and answered when the final outcome comes, so a caller that retries through another bridge replica gets its reply
 * too. A final outcome for an ID that already has one (a request run twice because its admission had expired before
 * its final state did, at the state TTL's edge) answers its caller from state in the same way. Every status record
 * of a request leaves from here, in order: ACCEPTED, then the final one.
 *
 * <p><b>ACCEPTED held back</b> (optional, {@code acceptedDelayMs} &gt; 0): a request's ACCEPTED is published only once
 * it is that old and nothing newer of the request has come; a request that ends sooner publishes its final status
 * alone (which carries {@code accepted_at}). That is a status record fewer per request, in the job and in the
 * broker; the price is a later ACCEPTED for requests that wait. Held records are flushed by the next record after
 * their time or by one processing-time timer per delay, not one per request, and are kept in operator state across
 * a checkpoint.
 *
 * <p><b>One final state across a failover.</b> With at-least-once delivery, what was decided after the last
 * checkpoint has been published but is in no state, and its requests run again after the restore. A decision that
 * depends on time (a deadline, the watchdog) may come out differently the second time. So on a restore this reads
 * back the final states published since that checkpoint ({@link PublishedFinals}, from the status topic; after a
 * restart that has no checkpoint yet, those of the last {@link #NO_CHECKPOINT_READ_BACK_MS} at most) and keeps
 * them: an ID published as FAILED or EXPIRED gets the same state again (with the same reason); an ID published as
 * SUCCEEDED whose re-run fails is not published again (its result is out there). Its result is then nowhere in
 * state, so its replays (waiting ones, and later duplicates, which admission no longer runs) are answered with a
 * RESULT_NOT_KEPT error that says so ({@link #resultNotKept}) rather than left without a reply; a later run that
 * succeeds (at the state TTL's edge) keeps its result for them again. With exactly-once, nothing after a checkpoint
 * was visible, and no reading back is needed.
 *
 * <p><b>Results kept shorter than IDs</b> ({@code resultTtl} below the state TTL): a success's result is kept apart
 * (state {@code final-result}) for {@code resultTtl}, its outcome without the result for the state TTL. Results are
 * most of the state (an embedding of 384 floats is 1.7 KB, the rest of its outcome ~200 bytes), while most
 * duplicates come within seconds of their original (producer retries, a caller's retry, a failover's re-read
 * input). A replay that comes later than {@code resultTtl} is answered {@link ErrorCode#RESULT_NOT_KEPT}, saying
 * when the request succeeded and that its result was published then; it is not run again. {@code resultTtl} 0
 * keeps no results at all.
 */
@Internal
public class OutcomeRecorder extends KeyedProcessFunction<String, Outcome, Outcome> implements CheckpointedFunction {
    private static final long serialVersionUID = 2L;
    private static final Logger LOG = LoggerFactory.getLogger(OutcomeRecorder.class);
    public static final OutputTag<StatusUpdate> STATUS = new OutputTag<>("final-status") {};
    /** Read back from this long before the last checkpoint's snapshot: clocks of task managers differ a little. */
    static final long READ_BACK_MARGIN_MS = 10_000;
    /**
     * How far back a restart that has no checkpoint to restore reads (the state TTL if shorter): such a job fails
     * within its first checkpoint interval, unless its checkpoints never complete, which this cannot mend.
     */
    static final long NO_CHECKPOINT_READ_BACK_MS = 10 * 60_000;
    /** After a failover with a backlog these can be thousands: a few are logged, the counters have the rest. */
    private static final int LOGGED_PER_RESTORE = 5;

    private final Duration stateTtl;
    /** How long a success's result is kept for replays; equal to the state TTL: kept in its outcome, one value. */
    private final Duration resultTtl;
    private final PublishedFinals publishedFinals;
    /**
     * The final outcome, as kept; before there is one, a marker ({@link #awaitedMarker}) when replays wait for it, so
     * that only such IDs pay for reading {@link #waitingReplays}.
     */
    private transient ValueState<Outcome> finalOutcome;
    /** A success's result when it is kept shorter than its outcome ({@link #resultApart}); null otherwise. */
    private transient ValueState<byte[]> finalResult;
    /** Replays that came while their request was running, one per route: answered with its final outcome. */
    private transient ListState<Outcome> waitingReplays;
    private transient Map<String, Map<RequestState, Counter>> finalCounts;
    private transient Map<String, Histogram> latency;
    private transient Counter replaysAnswered;
    private transient Counter replaysInFlight;
    private transient Counter duplicateFinals;
    private transient Counter keptAcrossFailover;
    private transient Counter contradictionsDropped;
    /** Published since the last checkpoint and not matched yet, by ID (this subtask's keys only). */
    private transient Map<String, StatusUpdate> published;
    private transient ListState<Long> snapshotTimes;
    private transient ListState<StatusUpdate> carried;
    private transient int loggedKept;
    private final long acceptedDelayMs;
    /** ACCEPTED records held back, oldest first, by ID: published at {@code updatedAt + acceptedDelayMs}. */
    private transient LinkedHashMap<String, StatusUpdate> held;
    private transient ListState<StatusUpdate> heldState;
    private transient long timerAt;
    private transient Counter acceptedLeftOut;

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

    /** Whether successes' outcomes are kept without their result (which, if kept at all, is in finalResult). */
    private boolean resultApart() {
        return resultTtl.compareTo(stateTtl) < 0;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        published = new HashMap<>();
        snapshotTimes = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("snapshot-times", Long.class));
        carried = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("published-finals", StatusUpdate.class));
        held = new LinkedHashMap<>();
        heldState = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("held-accepted", StatusUpdate.class));
        if (!context.isRestored()) {
            // A restart before the first checkpoint re-reads its input from where the job began, and what it
            // published meanwhile is in no state either: read it back like after a restore. A fresh start (attempt
            // 0) has published nothing.
            if (readsBack() && getRuntimeContext().getTaskInfo().getAttemptNumber() > 0) {
                long window = Math.min(stateTtl.toMillis(), NO_CHECKPOINT_READ_BACK_MS);
                readBack(System.currentTimeMillis() - window, "restarted without a checkpoint to restore: final "
                        + "state(s) published in the last " + window / 1000 + " s");
            }
            return;
        }
        for (StatusUpdate a : heldState.get()) {
            if (mine(a.id)) {
                held.put(a.id, a); // their timer is restored with the keyed state, or the next record flushes them
            }
        }
        for (StatusUpdate p : carried.get()) {
            if (mine(p.id)) {
                published.put(p.id, p);
            }
        }
        long since = Long.MAX_VALUE;
        for (Long t : snapshotTimes.get()) {
            since = Math.min(since, t);
        }
        if (!readsBack() || since == Long.MAX_VALUE) {
            return;
        }
        readBack(since - READ_BACK_MARGIN_MS, "restored: final state(s) published since the last checkpoint");
    }

    private boolean readsBack() {
        return publishedFinals != PublishedFinals.none();
    }

    private void readBack(long since, String what) {
        long start = System.nanoTime();
        Map<String, StatusUpdate> read = publishedFinals.since(since);
        int mine = 0;
        for (StatusUpdate p : read.values()) {
            if (mine(p.id)) {
                published.put(p.id, p);
                mine++;
            }
        }
        LOG.info("{}: {} ({} of this subtask) read back in {} ms; they will be kept", what, read.size(), mine,
                (System.nanoTime() - start) / 1_000_000);
    }

    /** Whether {@code id} is a key of this subtask (restored lists hold every subtask's). */
    private boolean mine(String id) {
        var task = getRuntimeContext().getTaskInfo();
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(id, task.getMaxNumberOfParallelSubtasks(),
                task.getNumberOfParallelSubtasks()) == task.getIndexOfThisSubtask();
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        long now = System.currentTimeMillis();
        snapshotTimes.update(List.of(now));
        // Unmatched ones are carried on, so a second failover before their requests come back keeps them too; the
        // state TTL bounds how long.
        published.values().removeIf(p -> p.updatedAt + stateTtl.toMillis() < now);
        carried.update(new ArrayList<>(published.values()));
        heldState.update(new ArrayList<>(held.values()));
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Outcome> d = new ValueStateDescriptor<>("final-outcome", Outcome.class);
        d.enableTimeToLive(AdmissionTracker.StatusTtl.config(stateTtl));
        finalOutcome = getRuntimeContext().getState(d);
        if (resultApart() && !resultTtl.isZero()) {
            ValueStateDescriptor<byte[]> r = new ValueStateDescriptor<>("final-result", byte[].class);
            r.enableTimeToLive(AdmissionTracker.StatusTtl.config(resultTtl));
            finalResult = getRuntimeContext().getState(r);
        }
        ListStateDescriptor<Outcome> w = new ListStateDescriptor<>("waiting-replays", Outcome.class);
        w.enableTimeToLive(AdmissionTracker.StatusTtl.config(stateTtl));
        waitingReplays = getRuntimeContext().getListState(w);
        finalCounts = new HashMap<>();
        latency = new HashMap<>();
        MetricGroup g = getRuntimeContext().getMetricGroup();
        replaysAnswered = g.counter("replaysAnswered");
        replaysInFlight = g.counter("replaysWhileInFlight");
        duplicateFinals = g.counter("duplicateFinalOutcomesDropped");
        keptAcrossFailover = g.counter("finalStatesKeptAcrossFailover");
        contradictionsDropped = g.counter("contradictingFinalStatesDropped");
        acceptedLeftOut = g.counter("acceptedLeftOut");
        if (published == null) {
            published = new HashMap<>(); // not restored through initializeState (e.g. some test harnesses)
        }
        if (held == null) {
            held = new LinkedHashMap<>();
        }
    }

    @Override
    public void processElement(Outcome o, Context ctx, Collector<Outcome> out) throws Exception {
        if (!held.isEmpty()) {
            flushHeld(ctx, ctx.timerService().currentProcessingTime());
            armTimer(ctx.timerService()); // restored ones, whose timer may be another subtask's now
        }
        Outcome kept = finalOutcome.value();
        boolean awaited = kept != null && kept.replay;
        Outcome stored = awaited ? null : kept;
        if (o.isProgress()) {
            // Published only while nothing is final, so no progress record can land after the final one.
            if (stored == null && !published.containsKey(o.id)) {
                StatusUpdate progress = StatusUpdate.of(o);
                if (acceptedDelayMs > 0 && o.state == RequestState.ACCEPTED) {
                    hold(progress, ctx);
                } else {
                    StatusUpdate accepted = held.isEmpty() ? null : held.remove(o.id);
                    if (accepted != null) {
                        ctx.output(STATUS, accepted); // ACCEPTED comes first, before any RUNNING
                    }
                    ctx.output(STATUS, progress);
                }
            }
            return;
        }
        if (o.replay) {
            if (stored == null) {
                replaysInFlight.inc();
                await(o, awaited);
                return;
            }
            replaysAnswered.inc();
            out.collect(answer(Outcomes.fromState(withResult(stored)), o));
            return;
        }
        if (stored != null) {
            // Run twice (admitted again once its admission had expired): its caller is answered as a replay's.
            duplicateFinals.inc();
            Outcome full = withResult(stored);
            if (isResultNotKept(full) && o.state == RequestState.SUCCEEDED) {
                // Its published result was not kept (see resultNotKept); this run's is, for it and later replays.
                keepFinal(o);
                out.collect(answer(o.copy(), o));
                return;
            }
            out.collect(answer(Outcomes.fromState(full), o));
            return;
        }
        if (!held.isEmpty() && held.remove(o.id) != null) {
            acceptedLeftOut.inc(); // ended before its ACCEPTED was due: the final status alone says it all
        }
        Outcome decided = o;
        StatusUpdate before = published.isEmpty() ? null : published.remove(o.id);
        if (before != null && (before.state != o.state || before.errorCode != o.errorCode)) {
            if (before.state == RequestState.SUCCEEDED) {
                contradictionsDropped.inc();
                if (loggedKept++ < LOGGED_PER_RESTORE) {
                    LOG.info("Request {} was published SUCCEEDED before the restore; its re-run ended {} ({}), "
                            + "which is not published (see the counter contradictingFinalStatesDropped)", o.id,
                            o.state, o.reason);
                }
                Outcome notKept = resultNotKept(before, o);
                finalOutcome.update(notKept);
                if (awaited) {
                    answerWaiting(notKept, out, false);
                }
                return;
            }
            keptAcrossFailover.inc();
            if (loggedKept++ < LOGGED_PER_RESTORE) {
                LOG.info("Request {} was published {} before the restore; its re-run ended {}: keeping {} (see the "
                        + "counter finalStatesKeptAcrossFailover)", o.id, before.state, o.state, before.state);
            }
            decided = keep(before, o);
        }
        keepFinal(decided);
        out.collect(decided);
        ctx.output(STATUS, StatusUpdate.of(decided));
        count(decided);
        if (awaited) {
            answerWaiting(decided, out, true);
        }
    }

    /**
     * Keeps a final outcome for later replays, in its compact form; a success's result apart from it (or not at all)
     * when results are kept shorter than IDs.
     */
    private void keepFinal(Outcome decided) throws Exception {
        Outcome kept = Outcomes.forState(decided);
        if (resultApart() && kept.state == RequestState.SUCCEEDED && kept.errorCode == null) {
            if (finalResult != null) {
                finalResult.update(kept.result);
            }
            kept = kept == decided ? decided.copy() : kept; // never change what is published
            kept.result = null;
        }
        finalOutcome.update(kept);
    }

    /**
     * A kept final outcome with its result: as kept, when the result is in it; else with the one kept apart, or,
     * when that is gone, the answer that it is not kept.
     */
    private Outcome withResult(Outcome kept) throws Exception {
        if (kept.state != RequestState.SUCCEEDED || kept.errorCode != null || kept.result != null) {
            return kept;
        }
        byte[] result = finalResult == null ? null : finalResult.value();
        if (result == null) {
            return resultExpired(kept, resultTtl, stateTtl);
        }
        Outcome o = kept.copy();
        o.result = result;
        return o;
    }

    /**
     * What a replay of a success gets once its result is no longer kept: {@link ErrorCode#RESULT_NOT_KEPT}, saying
     * when it succeeded and where its result went. Like {@link #resultNotKept}, never published as a status.
     */
    static Outcome resultExpired(Outcome kept, Duration resultTtl, Duration stateTtl) {
        Outcome o = kept.copy();
        o.errorCode = ErrorCode.RESULT_NOT_KEPT;
        o.reason = "request " + kept.id + " SUCCEEDED at " + Instant.ofEpochMilli(kept.finishedAt)
                + " and its result was published to its caller then"
                + (kept.replyTo != null ? " (reply topic " + kept.replyTo + ")" : "")
                + "; the job keeps results to answer a repeated ID for " + resultTtl.toMinutes()
                + " min (state.result-ttl-minutes) and IDs for " + stateTtl.toMinutes() + " min (state.ttl-minutes), "
                + "so this duplicate is not run again: read the published result, or send the request again with a "
                + "new ID";
        o.result = OipJson.writeError(kept.responseId != null ? kept.responseId : kept.id, o.errorCode, o.reason);
        o.resultHeaderLength = -1;
        o.jsonFromState = false;
        o.stored = null;
        o.storedHeaderLength = -1;
        o.callbackUrl = null;
        return o;
    }

    /** Keeps a replay's route until its request's final outcome; a route already waiting is not kept twice. */
    private void await(Outcome replay, boolean awaited) throws Exception {
        if (awaited) {
            for (Outcome w : waitingReplays.get()) {
                if (sameRoute(w, replay)) {
                    return;
                }
            }
        } else {
            finalOutcome.update(awaitedMarker(replay.id));
        }
        Outcome route = new Outcome();
        route.id = replay.id;
        route.replyTo = replay.replyTo;
        route.replyPartition = replay.replyPartition;
        route.replay = true;
        waitingReplays.add(route);
    }

    /**
     * The final outcome again for each waiting caller; with {@code published}, not on the final's own route, which
     * has it already.
     */
    private void answerWaiting(Outcome decided, Collector<Outcome> out, boolean published) throws Exception {
        for (Outcome w : waitingReplays.get()) {
            if (!published || !sameRoute(w, decided)) {
                replaysAnswered.inc();
                out.collect(answer(decided.copy(), w));
            }
        }
        waitingReplays.clear();
    }

    /** {@code result} (a copy of a final outcome) as a replay, routed to {@code caller}; callbacks fire once. */
    private static Outcome answer(Outcome result, Outcome caller) {
        result.replay = true;
        result.replyTo = caller.replyTo;
        result.replyPartition = caller.replyPartition;
        result.callbackUrl = null;
        return result;
    }

    private static boolean sameRoute(Outcome a, Outcome b) {
        return Objects.equals(a.replyTo, b.replyTo) && a.replyPartition == b.replyPartition;
    }

    /** Stands for "no final outcome yet, and replays wait for it"; no final outcome is ever a replay. */
    private static Outcome awaitedMarker(String id) {
        Outcome m = new Outcome();
        m.id = id;
        m.replay = true;
        return m;
    }

    private void hold(StatusUpdate accepted, Context ctx) {
        held.put(accepted.id, accepted);
        armTimer(ctx.timerService());
    }

    /** One timer at a time, for the oldest held record, on whichever key is current: it flushes every key's. */
    private void armTimer(TimerService timers) {
        if (timerAt == 0 && !held.isEmpty()) {
            timerAt = held.values().iterator().next().updatedAt + acceptedDelayMs;
            timers.registerProcessingTimeTimer(timerAt);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Outcome> out) {
        if (timestamp != timerAt && timerAt != 0) {
            return; // a timer restored from before a failover; the current one flushes
        }
        timerAt = 0;
        flushHeld(ctx, Math.max(timestamp, ctx.timerService().currentProcessingTime()));
        armTimer(ctx.timerService());
    }

    /**
     * Publishes the held ACCEPTED records that are due, oldest first; one whose final state was published before a
     * restore (held at the checkpoint, final after it) is dropped, so no ACCEPTED lands after its final state.
     */
    private void flushHeld(Context ctx, long now) {
        for (var it = held.values().iterator(); it.hasNext(); ) {
            StatusUpdate a = it.next();
            if (a.updatedAt + acceptedDelayMs > now) {
                return;
            }
            if (published.isEmpty() || !published.containsKey(a.id)) {
                ctx.output(STATUS, a);
            }
            it.remove();
        }
    }

    /**
     * What replays of a request get when it was published SUCCEEDED before a restore and its re-run failed: that
     * result went to its caller then and is in no state now, so they get a RESULT_NOT_KEPT error that says so (a caller
     * must not wait for a reply that cannot come, nor get the re-run's failure, which contradicts the published
     * state). Kept as the final outcome, never published as a status; SUCCEEDED with an error code marks it.
     */
    static Outcome resultNotKept(StatusUpdate before, Outcome rerun) {
        Outcome o = rerun.copy();
        o.state = RequestState.SUCCEEDED;
        o.errorCode = ErrorCode.RESULT_NOT_KEPT;
        o.reason = "request " + rerun.id + " SUCCEEDED before a failover of the job and its result was published "
                + "to its caller then" + (rerun.replyTo != null ? " (reply topic " + rerun.replyTo + ")" : "")
                + "; its re-run after the failover ended " + rerun.state + ", so no result is kept to answer a "
                + "duplicate: read the published one, or send the request again with a new ID";
        o.acceptedAt = before.acceptedAt;
        o.finishedAt = before.updatedAt;
        o.result = OipJson.writeError(rerun.responseId != null ? rerun.responseId : rerun.id, o.errorCode, o.reason);
        o.resultHeaderLength = -1;
        o.stored = null;
        o.storedHeaderLength = -1;
        o.jsonFromState = false;
        o.callbackUrl = null;
        return o;
    }

    /** A success kept without a result to give (either kind above; state of earlier versions marks it INTERNAL). */
    private static boolean isResultNotKept(Outcome kept) {
        return kept.state == RequestState.SUCCEEDED && kept.errorCode != null;
    }

    /** The published failure again, routed as the re-run is (the caller may be another bridge replica now). */
    private static Outcome keep(StatusUpdate before, Outcome rerun) {
        Outcome o = rerun.copy();
        o.state = before.state;
        o.errorCode = before.errorCode;
        o.reason = before.reason;
        o.acceptedAt = before.acceptedAt;
        o.finishedAt = before.updatedAt;
        o.result = OipJson.writeError(rerun.responseId != null ? rerun.responseId : rerun.id,
                before.errorCode != null ? before.errorCode : ErrorCode.INTERNAL, before.reason);
        o.resultHeaderLength = -1; // an error is JSON, even for a request that asked binary outputs
        return o;
    }

    private void count(Outcome o) {
        String model = o.model == null ? "unknown" : o.model;
        finalCounts.computeIfAbsent(model, m -> new HashMap<>())
                .computeIfAbsent(o.state, s -> modelGroup(model).counter(s.name().toLowerCase(java.util.Locale.ROOT)))
                .inc();
        if (o.producedAt > 0) {
            latency.computeIfAbsent(model, m -> modelGroup(m).histogram("endToEndLatencyMs",
                    new DescriptiveStatisticsHistogram(10_000))).update(o.finishedAt - o.producedAt);
        }
    }

    private MetricGroup modelGroup(String model) {
        return getRuntimeContext().getMetricGroup().addGroup("model", model);
    }
}
