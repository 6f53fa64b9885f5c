package io.streaminfer.bridge.jobs;

import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;

/**
 * What a replica knows of one job: its latest status (from the status topic) and its callback's outcome (from the
 * callbacks topic). Immutable; a change makes a new one.
 */
public final class JobState {
    /** Published by this replica, no status seen yet. */
    public static final String SUBMITTED = "SUBMITTED";

    public final String id;
    public final String model;
    public final String modelVersion;
    /** A {@link RequestState} name, or {@link #SUBMITTED}. */
    public final String state;
    public final String errorCode;
    public final String reason;
    public final long acceptedAt;
    public final long updatedAt;
    public final CallbackOutcome callback;
    /** A graph request's step: the one it is at (RUNNING) or failed in (FAILED); null otherwise. */
    public final String step;
    /** The W3C trace ID its status records carry (their traceparent header); null when it was not traced. */
    public final String traceId;

    public JobState(String id, String model, String modelVersion, String state, String errorCode, String reason,
            long acceptedAt, long updatedAt, CallbackOutcome callback, String step, String traceId) {
        this.id = id;
        this.model = model;
        this.modelVersion = modelVersion;
        this.state = state;
        this.errorCode = errorCode;
        this.reason = reason;
        this.acceptedAt = acceptedAt;
        this.updatedAt = updatedAt;
        this.callback = callback;
        this.step = step;
        this.traceId = traceId;
    }

    public static JobState submitted(String id, String model, String modelVersion, long now) {
        return new JobState(id, model, modelVersion, SUBMITTED, null, null, now, now, null, null, null);
    }

    /** @param trace the trace ID of the status record; null keeps the one known */
    public JobState withStatus(StatusRecord s, String trace) {
        return new JobState(id, s.model(), s.modelVersion(), s.state().name(),
                s.errorCode() == null ? null : s.errorCode().name(), s.reason(), s.acceptedAt(), s.updatedAt(),
                callback, s.step(), trace != null ? trace : traceId);
    }

    public JobState withCallback(CallbackOutcome c) {
        return new JobState(id, model, modelVersion, state, errorCode, reason, acceptedAt, updatedAt, c, step,
                traceId);
    }

    public boolean isFinal() {
        return !SUBMITTED.equals(state) && RequestState.valueOf(state).isFinal();
    }
}
