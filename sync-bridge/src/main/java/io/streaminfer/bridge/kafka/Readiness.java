package io.streaminfer.bridge.kafka;

import io.streaminfer.bridge.pipeline.Admission;
import io.streaminfer.bridge.pipeline.JobCondition;
import io.streaminfer.bridge.pipeline.JobHealth;
import io.streaminfer.bridge.pipeline.Refusal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
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
 * Whether this replica takes requests and should get traffic, checked in the background. Two things are judged
 * apart:
 * <ul>
 *   <li>the replica itself: its own readers run (they start once Kafka answers, see {@link KafkaStartup}) and the
 *       brokers answer. Without that no request can be made durable or answered: not ready, every request 503;</li>
 *   <li>the pipeline job, when {@code requireJob}: from Flink's REST API when configured (its state and tasks), and
 *       from Kafka: its consumer group has committed offsets on the requests topic (the job commits on each
 *       checkpoint), or before any, it answered a probe request; and when requests wait, those offsets moved within
 *       {@code stallMs}. What is seen feeds {@link JobHealth}, whose rule decides: a job that restarts keeps the
 *       replica ready and its requests taken (Kafka holds them); only a job gone for longer than the grace period
 *       makes it unready.</li>
 * </ul>
 * {@link #notReadyReason()} says what is wrong, for the readiness endpoints and the log; {@link #jobCondition()}
 * reports the job's state beside them.
 */
public final class Readiness implements Admission, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    private final Admin admin;
    private final String requestsTopic;
    private final String jobGroupId;
    private final boolean requireJob;
    private final long stallMs;
    private final Supplier<String> ownParts;
    private final Supplier<JobCondition> pipelineJob;
    private final Supplier<CompletableFuture<Void>> probe;
    private final JobHealth job;
    private volatile long probeAnsweredAt;
    private volatile CompletableFuture<Void> probeInFlight;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "readiness");
        t.setDaemon(true);
        return t;
    });
    /** Why this replica itself cannot take requests; null when it can. */
    private volatile String replicaProblem = "starting: the first readiness check is running";
    private long lastCommittedSum = -1;
    private volatile long requestsBacklog = -1;
    private long lastProgressAt = System.currentTimeMillis();

    /**
     * @param ownParts why the bridge's own readers do not run yet (null when they run)
     * @param probe sends one probe request through the job; completes when it answered
     * @param pipelineJob the job's condition from Flink's REST API; null when not configured
     * @param job where the job's conditions are kept and judged
     */
    public Readiness(Admin admin, String requestsTopic, String jobGroupId, boolean requireJob, long stallMs,
            Supplier<String> ownParts, Supplier<CompletableFuture<Void>> probe, Supplier<JobCondition> pipelineJob,
            JobHealth job) {
        this.probe = probe;
        this.pipelineJob = pipelineJob;
        this.admin = admin;
        this.requestsTopic = requestsTopic;
        this.jobGroupId = jobGroupId;
        this.requireJob = requireJob;
        this.stallMs = stallMs;
        this.ownParts = ownParts;
        this.job = job;
    }

    public void start(long intervalMs) {
        timer.scheduleWithFixedDelay(this::check, 0, intervalMs, TimeUnit.MILLISECONDS);
    }

    public boolean isReady() {
        return notReadyReason() == null;
    }

    @Override
    public String notReadyReason() {
        String r = replicaProblem;
        return r != null ? r : job.goneReason();
    }

    @Override
    public String jobCondition() {
        return replicaProblem != null ? null : job.describe();
    }

    @Override
    public Refusal refusal(long waitMs) {
        String r = replicaProblem;
        return r != null ? new Refusal(Refusal.Cause.NOT_READY, "not ready: " + r) : job.refusal(waitMs);
    }

    /**
     * Records on the requests topic past the job's committed offsets at the last check (-1 before one): the backlog
     * as Kafka sees it. The job commits at checkpoints, so it also counts what the job read since its last one.
     */
    public long requestsBacklog() {
        return requestsBacklog;
    }

    /** How long the pipeline job has not been running, as this replica saw it; 0 while it runs. */
    public long jobDownMs() {
        return job.downMs();
    }

    private void check() {
        String before = replicaProblem;
        JobCondition.State jobBefore = job.state();
        try {
            replicaProblem = evaluate();
        } catch (Exception e) {
            replicaProblem = "Kafka is not reachable at the configured bootstrap servers: " + rootMessage(e);
        }
        if (!Objects.equals(before, replicaProblem)) {
            if (replicaProblem == null) {
                LOG.info("Ready");
            } else {
                LOG.warn("Not ready: {}", replicaProblem);
            }
        }
        if (job.state() != jobBefore) {
            String now = job.describe();
            if (now == null) {
                LOG.info("The pipeline job runs");
            } else {
                LOG.warn("The pipeline job does not run: {}; requests wait in Kafka for it", now);
            }
        }
    }

    /** The replica's problem (null: none); judges the job on the way. */
    private String evaluate() throws Exception {
        // First: while the readers wait for Kafka at start-up, their reason is the most precise one.
        String own = ownParts.get();
        if (own != null) {
            return own;
        }
        admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
        if (!requireJob) {
            job.observe(JobCondition.running());
            return null;
        }
        JobCondition flink = pipelineJob == null ? JobCondition.unknown() : pipelineJob.get();
        if (flink.state() == JobCondition.State.RECOVERING || flink.state() == JobCondition.State.GONE) {
            job.observe(flink); // Flink knows the cause; the offsets would only show the same, later
            return null;
        }
        judgeByOffsets(flink.state() == JobCondition.State.RUNNING);
        return null;
    }

    /**
     * The job's consumer offsets on the requests topic: committed and moving (or nothing waiting) is RUNNING; stalled
     * with requests waiting for longer than {@code stallMs} is RECOVERING since the last progress; none committed
     * and no probe answered is GONE, unless Flink says the job runs (then it is starting).
     */
    private void judgeByOffsets(boolean flinkSaysRunning) throws Exception {
        TopicDescription topic = admin.describeTopics(List.of(requestsTopic)).allTopicNames()
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
        requestsBacklog = lag;
        if (!any) {
            // Offsets show only after records flowed: ask the job directly (a recent answer counts).
            if (probeAnsweredAt > 0) {
                job.observe(JobCondition.running());
                return;
            }
            if (probe != null && (probeInFlight == null || probeInFlight.isDone())) {
                probeInFlight = probe.get().thenRun(() -> {
                    probeAnsweredAt = System.currentTimeMillis();
                    LOG.info("The pipeline job answered the readiness probe");
                });
            }
            String unproven = "the pipeline job (consumer group '" + jobGroupId + "') has committed no offsets on '"
                    + requestsTopic + "' yet and has not answered a probe request";
            job.observe(flinkSaysRunning ? JobCondition.recovering(unproven + " (Flink says it runs: starting)")
                    : JobCondition.gone(unproven + ": is it running?"));
            return;
        }
        long now = System.currentTimeMillis();
        if (committedSum != lastCommittedSum || lag == 0) {
            lastCommittedSum = committedSum;
            lastProgressAt = now;
            job.observe(JobCondition.running());
        } else if (now - lastProgressAt > stallMs) {
            job.observe(JobCondition.recovering("the pipeline job (consumer group '" + jobGroupId + "') has not "
                    + "advanced on '" + requestsTopic + "' for " + (now - lastProgressAt) / 1000 + " s while " + lag
                    + " requests wait"), lastProgressAt);
        } else {
            job.observe(JobCondition.running()); // offsets move at checkpoints: a short pause is no stall
        }
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
        admin.close(Duration.ofSeconds(2));
    }
}
