package io.streaminfer.contract;

/** The life of a request, as the status topic reports it. Exactly one final state per request. */
public enum RequestState {
    ACCEPTED(false),
    QUEUED(false),
    RUNNING(false),
    SUCCEEDED(true),
    FAILED(true),
    /** Stopped on request (a cancel record, a client that went away) with its result so far: a generation's text. */
    CANCELLED(true),
    EXPIRED(true);

    private final boolean terminal;

    RequestState(boolean terminal) {
        this.terminal = terminal;
    }

    /** Whether no further state can follow this one. */
    public boolean isFinal() {
        return terminal;
    }
}
