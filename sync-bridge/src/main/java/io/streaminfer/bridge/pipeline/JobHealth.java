package io.streaminfer.bridge.pipeline;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The pipeline job's conditions over time, and the rule the bridge takes requests by. A job that restarts, starts
 * its tasks or fails over is normal: a request produced to Kafka waits there and the job takes it when it runs
 * again, so the bridge does not refuse it for that. It refuses (503) only what would be lost or only time out:
 * <ol>
 *   <li>the job is GONE (no job of that name, only ended ones: FAILED, CANCELED, FINISHED; or, judged by Kafka, no
 *       sign of a consumer) and has been for longer than {@code goneGraceMs}, long enough for a redeployment
 *       (cancel or stop with a savepoint, then submit): it cannot run, every request is refused and the replica is
 *       not ready;</li>
 *   <li>the job has not been running (RECOVERING or GONE) for longer than the request would wait (a sync call's
 *       timeout, an async request's deadline; without one it waits without limit): the outage has already outlasted
 *       the caller's patience, so the request would most likely end in a timeout; refused so the caller can go
 *       elsewhere now;</li>
 *   <li>everything else is taken, including every request while the job merely restarts.</li>
 * </ol>
 * The outage is measured from the first check that saw the job not running (or, for stalled offsets, from their
 * last progress); a bridge started during an outage counts from its own first check.
 *
 * <pre>{@code
 * JobHealth job = new JobHealth(30_000, System::currentTimeMillis);
 * job.observe(JobCondition.recovering("the pipeline job 'streaminfer' is RESTARTING"));
 * Refusal no = job.refusal(30_000);   // null: a restart that has just begun refuses nothing
 * }</pre>
 */
public final class JobHealth {
    private final long goneGraceMs;
    private final LongSupplier clock;
    private volatile Seen seen = new Seen(JobCondition.running(), -1, -1);

    /** What was seen last, since when the job has not been running, and since when it has been GONE (-1: not). */
    private record Seen(JobCondition condition, long downSinceMs, long goneSinceMs) {}

    /** @param clock epoch milliseconds */
    public JobHealth(long goneGraceMs, LongSupplier clock) {
        if (goneGraceMs < 0) {
            throw new IllegalArgumentException("the grace period must not be negative, got " + goneGraceMs);
        }
        this.goneGraceMs = goneGraceMs;
        this.clock = clock;
    }

    public void observe(JobCondition c) {
        observe(c, clock.getAsLong());
    }

    /**
     * @param sinceMs when the condition began, if the evidence says (stalled offsets: their last progress), else now
     * @throws IllegalArgumentException for UNKNOWN: the caller decides on other evidence
     */
    public synchronized void observe(JobCondition c, long sinceMs) {
        if (c.state() == JobCondition.State.UNKNOWN) {
            throw new IllegalArgumentException("an UNKNOWN job condition is no observation");
        }
        if (c.state() == JobCondition.State.RUNNING) {
            seen = new Seen(c, -1, -1);
            return;
        }
        Seen s = seen;
        long down = s.downSinceMs >= 0 ? Math.min(s.downSinceMs, sinceMs) : sinceMs;
        long gone = c.state() != JobCondition.State.GONE ? -1 : s.goneSinceMs >= 0 ? s.goneSinceMs : sinceMs;
        seen = new Seen(c, down, gone);
    }

    /** Null to take a request whose caller waits at most {@code waitMs}; else why not (rules 1 and 2 above). */
    public Refusal refusal(long waitMs) {
        Seen s = seen;
        if (s.condition.state() == JobCondition.State.RUNNING) {
            return null;
        }
        long now = clock.getAsLong();
        String gone = goneReason(s, now);
        if (gone != null) {
            return new Refusal(Refusal.Cause.JOB_GONE, gone);
        }
        long down = now - s.downSinceMs;
        if (down > waitMs) {
            return new Refusal(Refusal.Cause.JOB_DOWN_LONGER_THAN_WAIT, s.condition.detail() + "; it has not been "
                    + "running for " + seconds(down) + ", longer than this request would wait (" + waitMs + " ms)");
        }
        return null;
    }

    /** Null unless the job has been GONE for longer than the grace period: then why it cannot run. */
    public String goneReason() {
        return goneReason(seen, clock.getAsLong());
    }

    private String goneReason(Seen s, long now) {
        if (s.goneSinceMs < 0 || now - s.goneSinceMs <= goneGraceMs) {
            return null;
        }
        return s.condition.detail() + "; so for " + seconds(now - s.goneSinceMs) + ", longer than the "
                + seconds(goneGraceMs) + " a redeployment may take (readiness.job-gone-grace-ms)";
    }

    /** Null while the job runs; else what was seen of it and for how long it has not been running. */
    public String describe() {
        Seen s = seen;
        if (s.condition.state() == JobCondition.State.RUNNING) {
            return null;
        }
        return s.condition.detail() + " (not running for " + seconds(clock.getAsLong() - s.downSinceMs) + ")";
    }

    /** How long the job has not been running; 0 while it runs. */
    public long downMs() {
        Seen s = seen;
        return s.downSinceMs < 0 ? 0 : Math.max(0, clock.getAsLong() - s.downSinceMs);
    }

    public JobCondition.State state() {
        return seen.condition.state();
    }

    private static String seconds(long ms) {
        return ms < 10_000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000.0) : ms / 1000 + " s";
    }
}
