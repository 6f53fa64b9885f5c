package io.streaminfer.job.config;

/** How results and statuses reach Kafka ({@code delivery.guarantee}). */
public enum DeliveryGuarantee implements ConfigChoice {
    /**
     * Published as soon as computed; after a failover what was decided since the last checkpoint is published again
     * (same content), and readers deduplicate by request ID.
     */
    AT_LEAST_ONCE("at-least-once"),
    /** Transactional sinks: published when the checkpoint that covers it commits, never twice. */
    EXACTLY_ONCE("exactly-once");

    private final String configName;

    DeliveryGuarantee(String configName) {
        this.configName = configName;
    }

    @Override
    public String configName() {
        return configName;
    }
}
