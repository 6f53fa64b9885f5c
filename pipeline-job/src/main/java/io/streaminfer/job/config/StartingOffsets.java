package io.streaminfer.job.config;

/** Where the requests source starts reading when no state is restored ({@code kafka.starting-offsets}). */
public enum StartingOffsets implements ConfigChoice {
    /** The offsets the job's consumer group committed; the beginning of partitions without any. */
    COMMITTED("committed"),
    /** The beginning of the requests topic. */
    EARLIEST("earliest"),
    /** Only requests that arrive from now on. */
    LATEST("latest");

    private final String configName;

    StartingOffsets(String configName) {
        this.configName = configName;
    }

    @Override
    public String configName() {
        return configName;
    }

    /** What a job that starts without saved state will read, for the people starting it. */
    public String describe(String groupId) {
        return switch (this) {
            case EARLIEST -> "The job reads the requests topic from its beginning (kafka.starting-offsets: earliest).";
            case LATEST -> "The job reads only requests that arrive from now on (kafka.starting-offsets: latest).";
            case COMMITTED -> "The job reads the requests topic from the offsets its consumer group '" + groupId
                    + "' committed (from the beginning of partitions without any); requests read after its last "
                    + "commit are read again.";
        };
    }
}
