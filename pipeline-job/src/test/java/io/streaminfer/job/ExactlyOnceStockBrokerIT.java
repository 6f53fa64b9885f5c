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
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The exactly-once job against a broker with Kafka's stock transaction limit ({@code transaction.max.timeout.ms}
 * 15 min, as a default broker and Strimzi's have): its sinks must ask for transactions the broker allows, or every
 * sink fails at start-up ({@code InitProducerId}: "The transaction timeout is larger than the maximum value allowed
 * by the broker") and the job restarts forever.
 */
class ExactlyOnceStockBrokerIT {
    static final int REQUESTS = 50;

    @RegisterExtension
    static final MiniClusterExtension FLINK = PipelineHarness.miniCluster();

    static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start(Map.of("transaction.max.timeout.ms", "900000"));
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void everyRequestGetsOneResultAndOneFinalStatusWithoutARestart(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        try (PipelineHarness pipeline = new PipelineHarness(kafka, "stock-eos", "exactly-once",
                c -> c.models.serve = List.of("tiny-mlp"))) {
            pipeline.startJob();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String id = "stock-eos-" + i;
                ids.add(id);
                pipeline.send(id, "tiny-mlp", features(id, i % 7, 1, 2, 3));
            }
            pipeline.flush();
            await().atMost(Duration.ofMinutes(2)).until(() -> pipeline.results.countPresent(ids) == REQUESTS
                    && ids.stream().allMatch(id -> !pipeline.finalStatuses(id).isEmpty()));

            assertThat(cluster.getExecutionGraph(pipeline.job.getJobID()).get()
                    .getStatusTimestamp(JobStatus.RESTARTING)).as("time the job last restarted").isZero();
            for (String id : ids) {
                assertThat(pipeline.results.get(id)).as("results of %s", id).singleElement()
                        .satisfies(r -> assertThat(OipJson.isError(r.value())).isFalse());
                assertThat(pipeline.statuses(id).stream().map(StatusRecord::state).filter(RequestState::isFinal))
                        .as("final statuses of %s", id).containsExactly(RequestState.SUCCEEDED);
            }
        }
    }
}
