package io.streaminfer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.flink.status.PublishedFinals;
import io.streaminfer.flink.topology.TopologySettings;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.kafka.StatusTopicReader;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The job config as the topology's settings: what each key becomes. */
class InferencePipelineSettingsTest {
    @Test
    void theJobsKeysBecomeTheTopologysSettings() {
        JobConfig c = JobConfig.parse("models: {dir: /models, serve: [tiny-mlp], check-on-submit: false}\n"
                + "async: {capacity: 7, timeout-ms: 900000, retries: 3}\nlimits: {max-request-bytes: 2048}\n"
                + "state: {ttl-minutes: 30, result-ttl-minutes: 5}\nstatuses: {accepted-delay-ms: 250}\n"
                + "graphs: {progress: false}\n");
        TopologySettings s = InferencePipeline.topologySettings(c, 123L << 20);
        assertThat(s.servedModels().names()).containsExactly("tiny-mlp");
        assertThat(s.checkRepository()).isFalse();
        assertThat(s.asyncCapacity()).isEqualTo(7);
        assertThat(s.maxRequestBytes()).isEqualTo(2048);
        assertThat(s.stateTtl()).isEqualTo(Duration.ofMinutes(30));
        assertThat(s.resultTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.acceptedDelayMs()).isEqualTo(250);
        assertThat(s.graphProgress()).isFalse();
        assertThat(s.inference().modelsDir()).isEqualTo("/models");
        assertThat(s.inference().timeoutMs()).isEqualTo(900_000);
        assertThat(s.inference().retries()).isEqualTo(3);
        assertThat(s.inference().maxInFlightBytes()).isEqualTo(123L << 20);
    }

    @Test
    void atLeastOnceReadsTheStatusTopicBackOnARestoreExactlyOnceReadsNothing() {
        assertThat(InferencePipeline.topologySettings(JobConfig.parse("{}"), 1 << 20).publishedFinals())
                .isInstanceOf(StatusTopicReader.class);
        assertThat(InferencePipeline.topologySettings(JobConfig.parse("delivery: {guarantee: exactly-once}"), 1 << 20)
                .publishedFinals()).isSameAs(PublishedFinals.none());
    }
}
