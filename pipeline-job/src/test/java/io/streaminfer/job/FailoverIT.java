package io.streaminfer.job;

import static io.streaminfer.job.PipelineHarness.features;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task manager dies mid-stream; the job restores its last checkpoint (the in-flight requests are part of the async
 * operator's state) on a new one. Every request must end with exactly one final state and a result. With exactly-once
 * delivery, there is exactly one final status record per request on the topic as well.
 */
class FailoverIT {
    private static final Logger LOG = LoggerFactory.getLogger(FailoverIT.class);
    static final int REQUESTS = 3000;

    @RegisterExtension
    static final MiniClusterExtension FLINK = PipelineHarness.miniCluster();

    static EmbeddedKafka kafka;
    /** MiniCluster keeps terminated task managers in its list: the live one is the last started. */
    static int liveTaskManager = 0;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    /**
     * {@code <guarantee>[/variant]}. The task manager dies after a checkpoint that holds some of the requests, except
     * with {@code /before-first-checkpoint}: then no checkpoint has completed, and the restarted job reads its input
     * from the start. {@code /held-accepted} holds each ACCEPTED back for 200 ms ({@code statuses.accepted-delay-ms}),
     * so the checkpoint carries held records and the restore must neither lose one for a request still running nor
     * publish one after its request's final state.
     */
    @ParameterizedTest
    @ValueSource(strings = {"at-least-once", "exactly-once", "at-least-once/held-accepted",
            "at-least-once/before-first-checkpoint"})
    void taskManagerLossLosesNoRequest(String mode, @InjectMiniCluster MiniCluster cluster) throws Exception {
        String guarantee = mode.split("/")[0];
        long acceptedDelayMs = mode.endsWith("/held-accepted") ? 200 : 0;
        boolean beforeFirstCheckpoint = mode.endsWith("/before-first-checkpoint");
        String prefix = "failover-" + mode.replace('/', '-');
        try (PipelineHarness pipeline = new PipelineHarness(kafka, prefix, guarantee, c -> {
            c.models.serve = List.of("tiny-mlp");
            c.statuses.acceptedDelayMs = acceptedDelayMs;
            if (beforeFirstCheckpoint) {
                c.checkpointing.intervalMs = 3_600_000;
            }
        })) {
            pipeline.startJob();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                ids.add(prefix + "-" + i);
            }
            // First third, then wait for some results (so a checkpoint and outputs exist), then fail mid-stream.
            for (int i = 0; i < REQUESTS / 3; i++) {
                pipeline.send(ids.get(i), "tiny-mlp", features(ids.get(i), i % 7, 1, 2, 3));
            }
            pipeline.flush();
            await().atMost(Duration.ofSeconds(120)).until(() -> pipeline.results.countPresent(ids) > REQUESTS / 6);
            long checkpointsBefore = completedCheckpoints(cluster, pipeline);
            if (!beforeFirstCheckpoint) {
                // One taken after those results: the restore starts from a checkpoint that holds requests.
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> completedCheckpoints(cluster, pipeline) > checkpointsBefore);
            }
            for (int i = REQUESTS / 3; i < 2 * REQUESTS / 3; i++) {
                pipeline.send(ids.get(i), "tiny-mlp", features(ids.get(i), i % 7, 1, 2, 3));
            }
            pipeline.flush();
            if (beforeFirstCheckpoint) {
                assertThat(completedCheckpoints(cluster, pipeline)).as("checkpoints before the kill").isZero();
            }
            long killedAt = System.nanoTime();
            cluster.terminateTaskManager(liveTaskManager++).get();
            cluster.startTaskManager();
            for (int i = 2 * REQUESTS / 3; i < REQUESTS; i++) {
                pipeline.send(ids.get(i), "tiny-mlp", features(ids.get(i), i % 7, 1, 2, 3));
            }
            pipeline.flush();

            await().atMost(Duration.ofSeconds(180)).until(() ->
                    ids.stream().allMatch(id -> pipeline.finalStatuses(id).size() >= 1)
                            && pipeline.results.countPresent(ids) == REQUESTS);
            assertThat(cluster.getExecutionGraph(pipeline.job.getJobID()).get()
                    .getStatusTimestamp(JobStatus.RESTARTING)).as("the job really failed over").isPositive();
            LOG.info("{}: all {} requests final {} ms after the task manager was killed", mode, REQUESTS,
                    (System.nanoTime() - killedAt) / 1_000_000);

            int duplicateResults = 0;
            int accepted = 0;
            for (String id : ids) {
                Set<RequestState> finalStates = pipeline.statuses(id).stream().map(StatusRecord::state)
                        .filter(RequestState::isFinal).collect(Collectors.toSet());
                assertThat(finalStates).as("final states of %s", id).containsExactly(RequestState.SUCCEEDED);
                List<RequestState> sequence = pipeline.statuses(id).stream().map(StatusRecord::state).toList();
                int firstFinal = sequence.indexOf(RequestState.SUCCEEDED);
                assertThat(sequence.subList(firstFinal + 1, sequence.size())).as("statuses of %s", id)
                        .doesNotContain(RequestState.ACCEPTED);
                accepted += sequence.contains(RequestState.ACCEPTED) ? 1 : 0;
                assertThat(pipeline.results.get(id)).allSatisfy(r -> assertThat(OipJson.isError(r.value())).isFalse());
                duplicateResults += pipeline.results.get(id).size() - 1;
                if (guarantee.equals("exactly-once")) {
                    assertThat(pipeline.statuses(id).stream().filter(s -> s.state().isFinal()))
                            .as("final status records of %s", id).hasSize(1);
                    assertThat(pipeline.results.get(id)).as("results of %s", id).hasSize(1);
                }
            }
            LOG.info("{}: {} duplicate result records (readers deduplicate by ID); {} of {} requests published "
                    + "ACCEPTED", mode, duplicateResults, accepted, REQUESTS);
            if (acceptedDelayMs == 0) {
                assertThat(accepted).as("requests with ACCEPTED published at once").isEqualTo(REQUESTS);
            }
        }
    }

    private static long completedCheckpoints(MiniCluster cluster, PipelineHarness pipeline) throws Exception {
        return cluster.getExecutionGraph(pipeline.job.getJobID()).get().getCheckpointStatsSnapshot().getCounts()
                .getNumberOfCompletedCheckpoints();
    }
}
