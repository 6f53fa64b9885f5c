package io.streaminfer.job;

import static io.streaminfer.job.PipelineHarness.features;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.contract.KafkaContract;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A final state published before a failover is never contradicted after it (at-least-once delivery). Made certain
 * rather than likely: requests with a deadline succeed after the only checkpoint; once their deadline has passed a
 * task manager dies, and the restored job reads them again from Kafka, where its admission now finds them past their
 * deadline. Without reading back what was published they would end EXPIRED after SUCCEEDED.
 */
class OneFinalStateIT {
    static final int REQUESTS = 300;

    @RegisterExtension
    static final MiniClusterExtension FLINK = PipelineHarness.miniCluster();

    static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void aRequestThatSucceededBeforeTheFailoverDoesNotExpireWhenReplayedAfterItsDeadline(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        try (PipelineHarness pipeline = new PipelineHarness(kafka, "onefinal", "at-least-once", c -> {
            c.models.serve = List.of("tiny-mlp");
            c.checkpointing.intervalMs = 3_600_000; // only the checkpoint this test triggers
        })) {
            pipeline.startJob();
            pipeline.send("warm-up", "tiny-mlp", features("warm-up", 1, 2, 3, 4));
            pipeline.flush();
            await().atMost(Duration.ofMinutes(2)).until(() -> !pipeline.finalStatuses("warm-up").isEmpty());
            cluster.triggerCheckpoint(pipeline.job.getJobID()).get();

            long deadline = System.currentTimeMillis() + 8_000;
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String id = "dl-" + i;
                ids.add(id);
                pipeline.send(id, "tiny-mlp", features(id, i % 5, 1, 2, 3), KafkaContract.HEADER_DEADLINE,
                        Long.toString(deadline));
            }
            pipeline.flush();
            await().atMost(Duration.ofMinutes(2)).until(() -> ids.stream().allMatch(id ->
                    states(pipeline, id).contains(RequestState.SUCCEEDED)));
            await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() > deadline + 500);

            cluster.terminateTaskManager(0).get();
            cluster.startTaskManager();
            await().atMost(Duration.ofMinutes(2)).until(() -> cluster.getExecutionGraph(pipeline.job.getJobID())
                    .get().getStatusTimestamp(JobStatus.RESTARTING) > 0
                    && cluster.getJobStatus(pipeline.job.getJobID()).get() == JobStatus.RUNNING);
            // The replays are read before these, from the same partitions; once these are final, the replays have
            // been through admission and the recorder.
            List<String> after = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = "after-" + i;
                after.add(id);
                pipeline.send(id, "tiny-mlp", features(id, 1, 2, 3, 4));
            }
            pipeline.flush();
            await().atMost(Duration.ofMinutes(2)).until(() -> after.stream().allMatch(id ->
                    states(pipeline, id).contains(RequestState.SUCCEEDED)));

            List<String> contradicted = ids.stream().filter(id -> !states(pipeline, id).equals(
                    Set.of(RequestState.SUCCEEDED))).map(id -> id + " " + pipeline.statuses(id)).toList();
            assertThat(contradicted).as("IDs with another final state than the SUCCEEDED published before the "
                    + "failover").isEmpty();
            for (String id : ids) {
                assertThat(pipeline.results.get(id)).allSatisfy(r -> assertThat(OipJson.isError(r.value()))
                        .as("result of %s", id).isFalse());
            }
        }
    }

    private static Set<RequestState> states(PipelineHarness pipeline, String id) {
        return pipeline.statuses(id).stream().map(StatusRecord::state).filter(RequestState::isFinal)
                .collect(Collectors.toSet());
    }
}
