package io.streaminfer.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
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
 * A task manager dies while generations stream; the job restores its last checkpoint on a new one and re-runs
 * them. For every request: exactly one final status, and its token records read by a consumer with Kafka's default
 * isolation are sequence numbers 0..n-1 once each (no token repeated, retracted or skipped), joining to the final
 * text. The re-run continues after what was published, as a forced prefix.
 */
class GenerationFailoverIT {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationFailoverIT.class);
    static final int GENERATIONS = 24;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(PipelineHarness.miniClusterConfig())
            .build());

    static EmbeddedKafka kafka;
    static int liveTaskManager = 0;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"at-least-once", "exactly-once"})
    void streamsSurviveATaskManagerLossWithoutAGapOrARepeat(String guarantee, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String prefix = "genfail-" + guarantee;
        try (PipelineHarness pipeline = new PipelineHarness(kafka, prefix, guarantee,
                c -> c.models.serve = List.of(GenerationPipelineIT.MODEL))) {
            pipeline.startJob();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < GENERATIONS; i++) {
                String id = prefix + "-" + i;
                ids.add(id);
                // Long enough to be cut mid-way; greedy, or sampled with a seed (its re-run samples differently
                // after the prefix, which readers never see contradicted).
                String sampling = i % 2 == 0 ? ",\"temperature\":0" : ",\"temperature\":0.9,\"seed\":" + i;
                pipeline.send(id, GenerationPipelineIT.MODEL, GenerationPipelineIT.request(id, null,
                        "In this year the Congress and the nation", 400 + i, true, ",\"ignore_eos\":true" + sampling));
            }
            pipeline.flush();
            await().atMost(Duration.ofMinutes(3))
                    .until(() -> ids.stream().allMatch(id -> pipeline.tokenRecords(id).size() >= 2));
            long checkpoints = completedCheckpoints(cluster, pipeline);
            await().atMost(Duration.ofMinutes(2)).until(() -> completedCheckpoints(cluster, pipeline) > checkpoints);
            int publishedBefore = ids.stream().mapToInt(id -> pipeline.tokenRecords(id).size()).sum();
            cluster.terminateTaskManager(liveTaskManager++).get();
            cluster.startTaskManager();
            await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> ids.stream().allMatch(id -> !pipeline.finalStatuses(id).isEmpty()));
            assertThat(cluster.getExecutionGraph(pipeline.job.getJobID()).get()
                    .getStatusTimestamp(JobStatus.RESTARTING)).as("the job really failed over").isPositive();

            int unfinishedAtKill = 0;
            for (String id : ids) {
                List<StatusRecord> finals = pipeline.finalStatuses(id);
                assertThat(finals).as("final statuses of %s", id).hasSize(1);
                assertThat(finals.get(0).state()).isEqualTo(RequestState.SUCCEEDED);
                InferenceResponse response = OipJson.parseResponse(pipeline.results.values(id).get(0));
                String text = response.outputs().get(0).strings()[0];
                List<TokenRecord> records = pipeline.tokenRecords(id);
                GenerationPipelineIT.assertStream(id, records, text, records.stream()
                        .mapToInt(r -> r.tokens().length).sum());
                assertThat(pipeline.results.values(id).stream().map(v -> OipJson.parseResponse(v).outputs().get(0)
                        .strings()[0]).collect(Collectors.toSet())).as("every published result of %s", id)
                        .containsExactly(text);
                if (records.size() > 1) {
                    unfinishedAtKill++;
                }
            }
            LOG.info("{}: {} token records before the kill; all {} generations ended once, their streams whole",
                    guarantee, publishedBefore, GENERATIONS);
            assertThat(unfinishedAtKill).isPositive();
        }
    }

    private static long completedCheckpoints(MiniCluster cluster, PipelineHarness pipeline) throws Exception {
        return cluster.getExecutionGraph(pipeline.job.getJobID()).get().getCheckpointStatsSnapshot().getCounts()
                .getNumberOfCompletedCheckpoints();
    }
}
