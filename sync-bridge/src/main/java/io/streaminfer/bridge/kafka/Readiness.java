package io.streaminfer.bridge.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this replica should get traffic: the bridge's own readers run (they start once Kafka answers, see
 * {@link KafkaStartup}), the brokers answer, the pipeline job runs (when Flink's REST API is configured) and it is
 * consuming the requests topic — its consumer group has committed offsets there (the job commits on each
 * checkpoint), and when requests wait, those offsets moved within {@code stallMs}. Checked in the background;
 * {@link #reason()} says what is wrong, for the 503 body and the log.
 */
public final class Readiness implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    private final Admin admin;
    private final String requestsTopic;
    private final String jobGroupId;
    private final boolean requireJob;
    private final long stallMs;
    private final Supplier<String> ownParts;
    private final Supplier<String> pipelineJob;
    private final Supplier<java.util.concurrent.CompletableFuture<Void>> probe;
    private volatile long probeAnsweredAt;
    private volatile java.util.concurrent.CompletableFuture<Void> probeInFlight;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "readiness");
        t.setDaemon(true);
        return t;
    });
    private volatile String reason = "starting: the first readiness check is running";
    private long lastCommittedSum = -1;
    private long lastProgressAt = System.currentTimeMillis();

    /**
     * @param ownParts why the bridge's own readers do not run yet (null when they run)
     * @param pipelineJob why the pipeline job cannot take requests, from Flink's REST API; null (the supplier, or
     *     its answer) when unknown or fine
     */
    public Readiness(Admin admin, String requestsTopic, String jobGroupId, boolean requireJob, long stallMs,
            Supplier<String> ownParts,
            Supplier<java.util.concurrent.CompletableFuture<Void>> probe, Supplier<String> pipelineJob) {
        this.probe = probe;
        this.pipelineJob = pipelineJob;
        this.admin = admin;
        this.requestsTopic = requestsTopic;
        this.jobGroupId = jobGroupId;
        this.requireJob = requireJob;
        this.stallMs = stallMs;
        this.ownParts = ownParts;
    }

    public void start(long intervalMs) {
        timer.scheduleWithFixedDelay(this::check, 0, intervalMs, TimeUnit.MILLISECONDS);
    }

    public boolean isReady() {
        return reason == null;
    }

    /** Null when ready. */
    public String reason() {
        return reason;
    }

    private void check() {
        String before = reason;
        try {
            reason = evaluate();
        } catch (Exception e) {
            reason = "Kafka is not reachable at the configured bootstrap servers: " + rootMessage(e);
        }
        if (!java.util.Objects.equals(before, reason)) {
            if (reason == null) {
                LOG.info("Ready");
            } else {
                LOG.warn("Not ready: {}", reason);
            }
        }
    }

    private String evaluate() throws Exception {
        // First: while the readers wait for Kafka at start-up, their reason is the most precise one.
        String own = ownParts.get();
        if (own != null) {
            return own;
        }
        admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
        if (!requireJob) {
            return null;
        }
        String job = pipelineJob == null ? null : pipelineJob.get();
        if (job != null) {
            return job;
        }
        TopicDescription topic = admin.describeTopics(java.util.List.of(requestsTopic)).allTopicNames()
                .get(5, TimeUnit.SECONDS).get(requestsTopic);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(jobGroupId)
                .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicPartitionInfo p : topic.partitions()) {
            latest.put(new TopicPartition(requestsTopic, p.partition()), OffsetSpec.latest());
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                .get(5, TimeUnit.SECONDS);
        long committedSum = 0;
        long lag = 0;
        boolean any = false;
        for (TopicPartition tp : latest.keySet()) {
            OffsetAndMetadata c = committed.get(tp);
            long end = ends.get(tp).offset();
            if (c != null) {
                any = true;
                committedSum += c.offset();
                lag += Math.max(0, end - c.offset());
            } else {
                lag += end;
            }
        }
        if (!any) {
            // Offsets show only after records flowed: ask the job directly (a recent answer counts).
            if (probeAnsweredAt > 0) {
                return null;
            }
            if (probe != null && (probeInFlight == null || probeInFlight.isDone())) {
                probeInFlight = probe.get().thenRun(() -> {
                    probeAnsweredAt = System.currentTimeMillis();
                    LOG.info("The pipeline job answered the readiness probe");
                });
            }
            return "the pipeline job (consumer group '" + jobGroupId + "') has committed no offsets on '"
                    + requestsTopic + "' yet and has not answered a probe request: is it running?";
        }
        long now = System.currentTimeMillis();
        if (committedSum != lastCommittedSum || lag == 0) {
            lastCommittedSum = committedSum;
            lastProgressAt = now;
            return null;
        }
        if (now - lastProgressAt > stallMs) {
            return "the pipeline job (consumer group '" + jobGroupId + "') has not advanced on '" + requestsTopic
                    + "' for " + (now - lastProgressAt) / 1000 + " s while " + lag + " requests wait";
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
