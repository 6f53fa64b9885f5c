package io.streaminfer.bridge.pipeline;

/**
 * One look at the pipeline job, as the bridge classes it for admission: its {@link State} and what was seen (Flink's
 * job state and tasks, or the job's consumer offsets), for answers and logs.
 *
 * <pre>{@code
 * JobCondition c = JobCondition.recovering("the pipeline job 'streaminfer' is RESTARTING (0 of 3 tasks running)");
 * }</pre>
 */
public record JobCondition(State state, String detail) {
    /** How the job stands towards requests waiting on Kafka. */
    public enum State {
        /** Running with every task, or (judged by Kafka) consuming the requests topic. */
        RUNNING,
        /**
         * Not taking requests now, and expected to again: restarting, starting its tasks, failing over, waiting for
         * slots, or its offsets stalled. Requests wait in Kafka meanwhile.
         */
        RECOVERING,
        /**
         * No job that could take requests: none of that name, only ended ones (FAILED, CANCELED, FINISHED), or no
         * sign of any consumer. Permanent once it lasts longer than the grace period (a redeployment is shorter).
         */
        GONE,
        /** Cannot be told (Flink's REST API does not answer): other evidence decides. */
        UNKNOWN
    }

    public JobCondition {
        boolean needsDetail = state == State.RECOVERING || state == State.GONE;
        if (state == null || (needsDetail && (detail == null || detail.isBlank()))) {
            throw new IllegalArgumentException("a job condition needs a state, and a detail unless it is RUNNING or "
                    + "UNKNOWN");
        }
    }

    public static JobCondition running() {
        return new JobCondition(State.RUNNING, null);
    }

    public static JobCondition unknown() {
        return new JobCondition(State.UNKNOWN, null);
    }

    public static JobCondition recovering(String detail) {
        return new JobCondition(State.RECOVERING, detail);
    }

    public static JobCondition gone(String detail) {
        return new JobCondition(State.GONE, detail);
    }
}
