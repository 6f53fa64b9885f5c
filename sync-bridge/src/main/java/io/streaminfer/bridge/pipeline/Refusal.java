package io.streaminfer.bridge.pipeline;

import java.util.Locale;

/**
 * Why the bridge answers a request 503 instead of handing it to Kafka: its {@link Cause} (a metric label) and the
 * reason the caller reads.
 */
public record Refusal(Cause cause, String reason) {
    /** What makes the request one the bridge cannot take. */
    public enum Cause {
        /** This replica cannot make requests durable or route replies: Kafka unreachable, its readers not running. */
        NOT_READY,
        /** The pipeline job cannot run: gone (failed, cancelled, absent) for longer than the grace period. */
        JOB_GONE,
        /** The job has not been running for longer than this request would wait: it would only time out. */
        JOB_DOWN_LONGER_THAN_WAIT;

        /** The label value: lower case. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
