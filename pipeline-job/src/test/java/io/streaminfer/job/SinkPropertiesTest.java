package io.streaminfer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.Topics;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.config.MemoryBudget;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The producer settings each sink gets: the job's defaults, and kafka.properties above them. */
class SinkPropertiesTest {
    @Test
    void theResultsSinkBatchesLargeResultsTheOthersKeepKafkasBatch() {
        JobConfig c = JobConfig.parse("{}");
        Properties results = InferencePipeline.sinkProperties(c, "results");
        assertThat(results.getProperty("batch.size"))
                .isEqualTo(Integer.toString(MemoryBudget.DEFAULT_RESULTS_BATCH_BYTES)).isEqualTo("65536");
        assertThat(results.getProperty("linger.ms")).isEqualTo("1");
        assertThat(results.getProperty("buffer.memory")).isEqualTo(Long.toString(8L << 20));
        assertThat(results.getProperty("max.request.size")).isEqualTo(Integer.toString(Topics.MAX_MESSAGE_BYTES));
        for (String other : new String[] {"status", "dlq"}) {
            Properties p = InferencePipeline.sinkProperties(c, other);
            assertThat(p.getProperty("batch.size")).as(other).isNull();
            assertThat(p.getProperty("linger.ms")).as(other).isEqualTo("1");
        }
    }

    @Test
    void kafkaPropertiesWinOverTheJobsDefaults() {
        JobConfig c = JobConfig.parse("kafka:\n  properties: {batch.size: '16384', linger.ms: '0', "
                + "compression.type: lz4}\n");
        Properties results = InferencePipeline.sinkProperties(c, "results");
        assertThat(results.getProperty("batch.size")).isEqualTo("16384");
        assertThat(results.getProperty("linger.ms")).isEqualTo("0");
        assertThat(results.getProperty("compression.type")).isEqualTo("lz4");
        assertThat(InferencePipeline.sinkProperties(c, "status").getProperty("batch.size")).isEqualTo("16384");
    }
}
