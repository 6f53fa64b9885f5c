package io.streaminfer.contract;

/** Default topic names, shared by the job, the bridge and the local stack. All are configurable where used. */
public final class Topics {
    public static final String REQUESTS = "inference.requests";
    public static final String RESULTS = "inference.results";
    /** Compacted: the latest status per request ID. */
    public static final String STATUS = "inference.status";
    public static final String DEAD_LETTERS = "inference.dlq";

    private Topics() {}
}
