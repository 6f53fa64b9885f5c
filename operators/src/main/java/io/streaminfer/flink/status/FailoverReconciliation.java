package io.streaminfer.flink.status;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.StatusUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.OperatorStateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One final state across a failover. With at-least-once delivery, what was decided after the last checkpoint has
 * been published but is in no state, and its requests run again after the restore; a decision that depends on time
 * (a deadline, the watchdog) may come out differently the second time. So a restore reads back the final states
 * published since that checkpoint ({@link PublishedFinals}; after a restart that has no checkpoint yet, those of the
 * last {@link #NO_CHECKPOINT_READ_BACK_MS} at most) and keeps them ({@link #reconcile}): an ID published as FAILED or
 * EXPIRED gets the same state again (with the same reason); an ID published as SUCCEEDED whose re-run fails is not
 * published again (its result is out there), and its replays are told its result is not kept ({@link
 * KeptOutcome#resultNotKept}). With exactly-once ({@link PublishedFinals#none()}) nothing after a checkpoint was
 * visible and nothing is read back. Unmatched ones are carried in operator state ({@code published-finals}, with
 * {@code snapshot-times}) until their requests come back or the state TTL passes.
 */
final class FailoverReconciliation {
    private static final Logger LOG = LoggerFactory.getLogger(FailoverReconciliation.class);
    /** Read back from this long before the last checkpoint's snapshot: clocks of task managers differ a little. */
    static final long READ_BACK_MARGIN_MS = 10_000;
    /**
     * How far back a restart that has no checkpoint to restore reads (the state TTL if shorter): such a job fails
     * within its first checkpoint interval, unless its checkpoints never complete, which this cannot mend.
     */
    static final long NO_CHECKPOINT_READ_BACK_MS = 10 * 60_000;
    /** After a failover with a backlog these can be thousands: a few are logged, the counters have the rest. */
    private static final int LOGGED_PER_RESTORE = 5;

    /** What a final outcome becomes: {@code decided} is published (as result and status) only with {@code publish}. */
    record Reconciled(Outcome decided, boolean publish) {
    }

    private final PublishedFinals reader;
    private final Duration stateTtl;
    /** Published since the last checkpoint and not matched yet, by ID (this subtask's keys only). */
    private final Map<String, StatusUpdate> published = new HashMap<>();
    private ListState<Long> snapshotTimes;
    private ListState<StatusUpdate> carried;
    private int logged;

    FailoverReconciliation(PublishedFinals reader, Duration stateTtl) {
        this.reader = reader;
        this.stateTtl = stateTtl;
    }

    /**
     * Registers the operator state and reads back what this subtask's keys ({@code mine}) had published: after a
     * restore, since the last checkpoint; after a restart ({@code attempt} above 0) without one, the recent past.
     */
    void initialize(OperatorStateStore store, boolean restored, int attempt, Predicate<String> mine)
            throws Exception {
        snapshotTimes = store.getUnionListState(new ListStateDescriptor<>("snapshot-times", Long.class));
        carried = store.getUnionListState(new ListStateDescriptor<>("published-finals", StatusUpdate.class));
        if (!restored) {
            // A restart before the first checkpoint re-reads its input from where the job began, and what it
            // published meanwhile is in no state either: read it back like after a restore. A fresh start (attempt
            // 0) has published nothing.
            if (readsBack() && attempt > 0) {
                long window = Math.min(stateTtl.toMillis(), NO_CHECKPOINT_READ_BACK_MS);
                readBack(System.currentTimeMillis() - window, mine, "restarted without a checkpoint to restore: "
                        + "final state(s) published in the last " + window / 1000 + " s");
            }
            return;
        }
        for (StatusUpdate p : carried.get()) {
            if (mine.test(p.id)) {
                published.put(p.id, p);
            }
        }
        long since = Long.MAX_VALUE;
        for (Long t : snapshotTimes.get()) {
            since = Math.min(since, t);
        }
        if (readsBack() && since != Long.MAX_VALUE) {
            readBack(since - READ_BACK_MARGIN_MS, mine, "restored: final state(s) published since the last "
                    + "checkpoint");
        }
    }

    private boolean readsBack() {
        return reader != PublishedFinals.none();
    }

    private void readBack(long since, Predicate<String> mine, String what) {
        long start = System.nanoTime();
        Map<String, StatusUpdate> read = reader.since(since);
        int ours = 0;
        for (StatusUpdate p : read.values()) {
            if (mine.test(p.id)) {
                published.put(p.id, p);
                ours++;
            }
        }
        LOG.info("{}: {} ({} of this subtask) read back in {} ms; they will be kept", what, read.size(), ours,
                (System.nanoTime() - start) / 1_000_000);
    }

    void snapshot(long now) throws Exception {
        if (snapshotTimes == null) {
            return; // not initialized through the state (some test harnesses)
        }
        snapshotTimes.update(List.of(now));
        // Unmatched ones are carried on, so a second failover before their requests come back keeps them too; the
        // state TTL bounds how long.
        published.values().removeIf(p -> p.updatedAt + stateTtl.toMillis() < now);
        carried.update(new ArrayList<>(published.values()));
    }

    /** Whether a final state of {@code id} was published before the restore and not matched yet. */
    boolean finalPublished(String id) {
        return !published.isEmpty() && published.containsKey(id);
    }

    /** What a request's first final outcome since the restore becomes, given what was published before it. */
    Reconciled reconcile(Outcome o, RecorderMetrics metrics) {
        StatusUpdate before = published.isEmpty() ? null : published.remove(o.id);
        if (before == null || (before.state == o.state && before.errorCode == o.errorCode)) {
            return new Reconciled(o, true);
        }
        if (before.state == RequestState.SUCCEEDED) {
            metrics.contradictionsDropped.inc();
            if (logged++ < LOGGED_PER_RESTORE) {
                LOG.info("Request {} was published SUCCEEDED before the restore; its re-run ended {} ({}), which is "
                        + "not published (see the counter contradictingFinalStatesDropped)", o.id, o.state, o.reason);
            }
            return new Reconciled(KeptOutcome.resultNotKept(before, o), false);
        }
        metrics.keptAcrossFailover.inc();
        if (logged++ < LOGGED_PER_RESTORE) {
            LOG.info("Request {} was published {} before the restore; its re-run ended {}: keeping {} (see the "
                    + "counter finalStatesKeptAcrossFailover)", o.id, before.state, o.state, before.state);
        }
        return new Reconciled(keep(before, o), true);
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
}
