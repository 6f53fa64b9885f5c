package io.streaminfer.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.Topics;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.config.MemoryBudget;
import io.streaminfer.job.kafka.RecordSerializers;
import java.util.Properties;
import org.apache.flink.connector.kafka.sink.BuiltSinks;
import org.apache.flink.connector.kafka.sink.KafkaSink;
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

    /**
     * What the built sinks hand their producers, not only what the job passes the builder: the builder copies the
     * properties and brings its own transaction timeout (1 h), more than a stock broker allows.
     */
    @Test
    void theBuiltExactlyOnceSinksAskForTheConfiguredTransactionTimeout() {
        JobConfig c = JobConfig.parse("delivery:\n  guarantee: exactly-once\n  transaction-timeout-ms: 300000\n");
        for (String name : new String[] {"results", "status", "dlq"}) {
            KafkaSink<?> sink = InferencePipeline.sink(c, name, new RecordSerializers.Results("t"));
            Properties effective = BuiltSinks.producerConfig(sink);
            assertThat(effective.getProperty("transaction.timeout.ms")).as(name).isEqualTo("300000");
            assertThat(effective.getProperty("linger.ms")).as(name).isEqualTo("1");
        }
        KafkaSink<?> byDefault = InferencePipeline.sink(JobConfig.parse("delivery: {guarantee: exactly-once}\n"),
                "results", new RecordSerializers.Results("t"));
        assertThat(Long.parseLong(BuiltSinks.producerConfig(byDefault).getProperty("transaction.timeout.ms")))
                .as("the default, within a stock broker's transaction.max.timeout.ms").isEqualTo(600_000)
                .isLessThanOrEqualTo(900_000);
    }

    @Test
    void aTransactionTimeoutInKafkaPropertiesIsRefusedForTheDeliverySetting() {
        assertThatThrownBy(() -> JobConfig.parse("delivery: {guarantee: exactly-once}\n"
                + "kafka:\n  properties: {transaction.timeout.ms: '3600000'}\n"))
                .hasMessageContaining("kafka.properties.transaction.timeout.ms is set")
                .hasMessageContaining("delivery.transaction-timeout-ms");
    }
}
