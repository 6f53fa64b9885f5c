package io.streaminfer.bridge.pipeline;

/**
 * Whether this replica takes a request, and whether it is ready, seen from the transports (HTTP, gRPC). A pipeline
 * job that restarts does not make a replica unready nor its requests refused: Kafka holds them and the job takes
 * them when it runs again. See {@link JobHealth} for the rule.
 *
 * <pre>{@code
 * Refusal no = admission.refusal(timeoutMs);   // null: publish it
 * if (no != null) answer(503, no.reason());
 * }</pre>
 */
public interface Admission {
    /** Waits without limit: an async request without a deadline. */
    long NO_LIMIT = Long.MAX_VALUE;

    /**
     * Null when ready: Kafka reachable, this replica's readers running, and the pipeline job not gone for longer
     * than the grace period. Else why not (readiness endpoints).
     */
    String notReadyReason();

    /** Null while the job runs (or is not judged); else its state, reported beside readiness even while ready. */
    String jobCondition();

    /**
     * Null to take a request whose caller waits at most {@code waitMs} ({@link #NO_LIMIT}: an async request without
     * a deadline); else why it is refused.
     */
    Refusal refusal(long waitMs);
}
