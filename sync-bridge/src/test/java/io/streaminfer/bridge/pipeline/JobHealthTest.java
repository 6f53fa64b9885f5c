package io.streaminfer.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The admission rule over time, on a clock the test moves. */
class JobHealthTest {
    private static final long GRACE_MS = 30_000;
    private static final JobCondition RESTARTING = JobCondition.recovering("the pipeline job 'si' is RESTARTING");
    private static final JobCondition FAILED = JobCondition.gone("no pipeline job named 'si' runs (ended FAILED)");

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final JobHealth job = new JobHealth(GRACE_MS, now::get);

    @Test
    void aRestartRefusesNothingThatWouldWaitLongerThanItHasLasted() {
        job.observe(RESTARTING);
        now.addAndGet(5_000);
        assertThat(job.refusal(15_000)).as("a 15 s call 5 s into a restart").isNull();
        assertThat(job.refusal(Admission.NO_LIMIT)).isNull();
        assertThat(job.goneReason()).isNull();
        assertThat(job.describe()).isEqualTo("the pipeline job 'si' is RESTARTING (not running for 5.0 s)");
        assertThat(job.downMs()).isEqualTo(5_000);

        now.addAndGet(20_000);
        job.observe(RESTARTING); // still restarting: the outage counts from its first sight
        Refusal r = job.refusal(15_000);
        assertThat(r.cause()).isEqualTo(Refusal.Cause.JOB_DOWN_LONGER_THAN_WAIT);
        assertThat(r.reason()).isEqualTo("the pipeline job 'si' is RESTARTING; it has not been running for 25 s, "
                + "longer than this request would wait (15000 ms)");
        assertThat(job.refusal(60_000)).as("a caller who waits longer").isNull();
        assertThat(job.refusal(Admission.NO_LIMIT)).as("an async request without a deadline").isNull();
        assertThat(job.goneReason()).as("restarting for long is still not gone").isNull();

        job.observe(JobCondition.running());
        assertThat(job.refusal(1)).isNull();
        assertThat(job.describe()).isNull();
        assertThat(job.downMs()).isZero();
    }

    @Test
    void goneForLongerThanTheGraceRefusesEverythingWithTheReason() {
        job.observe(RESTARTING);
        now.addAndGet(10_000);
        job.observe(FAILED);
        now.addAndGet(GRACE_MS);
        assertThat(job.refusal(Admission.NO_LIMIT)).as("a redeployment may still come").isNull();
        assertThat(job.goneReason()).isNull();
        now.addAndGet(1);
        job.observe(FAILED);
        Refusal r = job.refusal(Admission.NO_LIMIT);
        assertThat(r.cause()).isEqualTo(Refusal.Cause.JOB_GONE);
        assertThat(r.reason()).isEqualTo("no pipeline job named 'si' runs (ended FAILED); so for 30 s, longer than "
                + "the 30 s a redeployment may take (readiness.job-gone-grace-ms)");
        assertThat(job.goneReason()).isEqualTo(r.reason());
        assertThat(job.describe()).as("the outage began with the restart").endsWith("(not running for 40 s)");

        // Submitted again: starting is not gone, and the grace starts afresh the next time.
        job.observe(JobCondition.recovering("the pipeline job 'si' is INITIALIZING"));
        assertThat(job.goneReason()).isNull();
        assertThat(job.refusal(Admission.NO_LIMIT)).isNull();
        job.observe(FAILED);
        assertThat(job.goneReason()).isNull();
    }

    @Test
    void aStallCountsFromTheLastProgressTheOffsetsShowed() {
        job.observe(JobCondition.recovering("offsets have not advanced for 61 s"), now.get() - 61_000);
        assertThat(job.refusal(30_000).cause()).isEqualTo(Refusal.Cause.JOB_DOWN_LONGER_THAN_WAIT);
        assertThat(job.refusal(120_000)).isNull();
    }

    @Test
    void unknownIsNoObservation() {
        assertThatThrownBy(() -> job.observe(JobCondition.unknown())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JobHealth(-1, now::get)).hasMessageContaining("must not be negative");
    }
}
