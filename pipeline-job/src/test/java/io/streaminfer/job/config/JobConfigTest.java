package io.streaminfer.job.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class JobConfigTest {
    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (!p.resolve("deploy").toFile().isDirectory()) {
            p = p.getParent();
        }
        return p;
    }

    @Test
    void theShippedExampleIsValidAndEqualsTheDefaults() {
        JobConfig c = JobConfig.load(repoRoot().resolve("deploy/job/job.yaml"));
        JobConfig d = JobConfig.parse("{}");
        assertThat(c.topics.requests).isEqualTo(d.topics.requests).isEqualTo("inference.requests");
        assertThat(c.topics.status).isEqualTo("inference.status");
        assertThat(c.async.capacity).isEqualTo(d.async.capacity);
        assertThat(c.batching.defaults.maxDelayMs).isEqualTo(d.batching.defaults.maxDelayMs);
        assertThat(c.execution.bufferTimeoutMs).isEqualTo(d.execution.bufferTimeoutMs).isEqualTo(0);
        assertThat(c.statuses.acceptedDelayMs).isEqualTo(d.statuses.acceptedDelayMs).isEqualTo(0);
        assertThat(c.exactlyOnce()).isFalse();
        assertThat(c.servedModels().isAll()).isTrue();
        assertThat(c.kafka.startingOffsets).isEqualTo(StartingOffsets.COMMITTED);
        assertThat(c.models.standIn).isEqualTo(ModelStandIn.NONE);
        assertThat(c.resultTtlMinutes()).isEqualTo(d.resultTtlMinutes()).isEqualTo(10);
    }

    @Test
    void tracingIsOffByDefaultAndItsProblemsAreListed() {
        JobConfig d = JobConfig.parse("{}");
        assertThat(d.tracing.enabled).isFalse();
        assertThat(d.tracing.settings().enabled()).isFalse();
        JobConfig on = JobConfig.parse("tracing: {enabled: true, sampler-ratio: 0.01, exporter: zipkin}");
        assertThat(on.tracing.settings().exporter()).isEqualTo(io.streaminfer.tracing.TracingSettings.Exporter.ZIPKIN);
        assertThat(on.tracing.settings().samplerRatio()).isEqualTo(0.01);
        assertThatThrownBy(() -> JobConfig.parse("tracing: {sampler-ratio: 2, exporter: jaeger, endpoint: nowhere}"))
                .hasMessageContaining("tracing.sampler-ratio").hasMessageContaining("tracing.exporter must be otlp or "
                        + "zipkin").hasMessageContaining("tracing.endpoint");
    }

    @Test
    void resultsAreKeptNoLongerThanIds() {
        assertThat(JobConfig.parse("state: {ttl-minutes: 5}").resultTtlMinutes()).as("default: 10 or less")
                .isEqualTo(5);
        assertThat(JobConfig.parse("state: {ttl-minutes: 60, result-ttl-minutes: 0}").resultTtlMinutes())
                .isEqualTo(0);
        assertThatThrownBy(() -> JobConfig.parse("state: {ttl-minutes: 30, result-ttl-minutes: 31}"))
                .hasMessageContaining("state.result-ttl-minutes must be within 0..state.ttl-minutes (30)");
        assertThatThrownBy(() -> JobConfig.parse("state: {result-ttl-minutes: -1}"))
                .hasMessageContaining("state.result-ttl-minutes must be within");
    }

    @Test
    void valuesAreRead() {
        JobConfig c = JobConfig.parse("kafka:\n  bootstrap-servers: b1:9092,b2:9092\n  properties:\n"
                + "    security.protocol: SASL_SSL\nmodels:\n  serve: [tiny-mlp]\nbatching:\n  per-model:\n"
                + "    tiny-mlp: {max-batch-size: 8, max-delay-ms: 2, grouping: true, max-batch-elements: 64}\n"
                + "delivery:\n  guarantee: exactly-once\nstatuses: {accepted-delay-ms: 50}\n"
                + "flink:\n  state.backend.rocksdb.compaction.style: UNIVERSAL\n");
        assertThat(c.kafka.bootstrapServers).isEqualTo("b1:9092,b2:9092");
        assertThat(c.kafka.properties).containsEntry("security.protocol", "SASL_SSL");
        assertThat(c.servedModels().names()).containsExactly("tiny-mlp");
        assertThat(c.batching.perModel.get("tiny-mlp").maxBatchSize).isEqualTo(8);
        assertThat(c.batching.perModel.get("tiny-mlp").grouping).isTrue();
        assertThat(c.batching.perModel.get("tiny-mlp").maxBatchElements).isEqualTo(64);
        assertThat(c.batching.defaults.grouping).as("by kind unless set").isNull();
        assertThat(c.exactlyOnce()).isTrue();
        assertThat(c.flink).containsEntry("state.backend.rocksdb.compaction.style", "UNIVERSAL");
        assertThat(c.statuses.acceptedDelayMs).isEqualTo(50);
    }

    @Test
    void choicesAreReadByTheirNamesAndNullKeepsTheDefault() {
        JobConfig c = JobConfig.parse("kafka: {starting-offsets: latest}\nmodels: {stand-in: no-op}\n"
                + "delivery: {guarantee: exactly-once}\n");
        assertThat(c.kafka.startingOffsets).isEqualTo(StartingOffsets.LATEST);
        assertThat(c.models.standIn).isEqualTo(ModelStandIn.NO_OP);
        assertThat(c.delivery.guarantee).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        JobConfig nulls = JobConfig.parse("kafka: {starting-offsets: null}\nmodels: {stand-in: null}\n");
        assertThat(nulls.kafka.startingOffsets).isEqualTo(StartingOffsets.COMMITTED);
        assertThat(nulls.models.standIn).isEqualTo(ModelStandIn.NONE);
    }

    @Test
    void everyChoiceThatIsNoneOfItsTypesIsListedWithTheOthers() {
        assertThatThrownBy(() -> JobConfig.parse("models: {stand-in: cpu}\ndelivery: {guarantee: twice}\n"))
                .hasMessageContaining("models.stand-in must be none, no-op or gpu, not 'cpu'")
                .hasMessageContaining("delivery.guarantee must be at-least-once or exactly-once, not 'twice'")
                .hasMessageContaining("2 problem(s)");
        JobConfig c = JobConfig.parse("{}");
        c.delivery.guarantee = null;
        assertThatThrownBy(c::validate).hasMessageContaining("delivery.guarantee must be at-least-once or "
                + "exactly-once");
    }

    @Test
    void unknownKeysAreRefusedByName() {
        assertThatThrownBy(() -> JobConfig.parse("async:\n  capacty: 10\n"))
                .hasMessageContaining("unknown key 'capacty'").hasMessageContaining("capacity");
    }

    @Test
    void everyProblemIsListedWithWhatToChange() {
        assertThatThrownBy(() -> JobConfig.parse("kafka:\n  bootstrap-servers: ''\n  starting-offsets: newest\n"
                + "topics:\n  results: inference.requests\nasync:\n  capacity: 0\ndelivery:\n"
                + "  guarantee: exactly-once\n  transaction-timeout-ms: 3600000\nexecution:\n  parallelism: 0\n"
                + "models:\n  device: tpu\nstatuses:\n  accepted-delay-ms: -1\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka.bootstrap-servers is empty")
                .hasMessageContaining("kafka.starting-offsets must be committed, earliest or latest")
                .hasMessageContaining("is used twice")
                .hasMessageContaining("async.capacity")
                .hasMessageContaining("transaction.max.timeout.ms")
                .hasMessageContaining("execution.parallelism")
                .hasMessageContaining("models.device")
                .hasMessageContaining("statuses.accepted-delay-ms must be within 0..60000")
                .hasMessageContaining("8 problem(s)");
    }

    @Test
    void batchingKnobsAreCheckedAndTheSafetyNetMustLeaveTheWatchdogTimeToFire() {
        assertThatThrownBy(() -> JobConfig.parse("batching:\n  defaults:\n    max-batch-tokens: -1\n"
                + "    queue-batches: -2\n    watchdog-factor: 0.5\n  per-model:\n"
                + "    all-minilm-l6-v2: {watchdog-min-ms: 400000}\nlimits:\n  max-in-flight-bytes: 10\n"))
                .hasMessageContaining("batching.defaults.max-batch-tokens must be >= 1")
                .hasMessageContaining("batching.defaults.queue-batches must be between 0 (unbounded) and 1000")
                .hasMessageContaining("batching.defaults.watchdog-factor must be >= 1")
                .hasMessageContaining("async.timeout-ms (600000, the safety net) must be more than twice "
                        + "batching.per-model.all-minilm-l6-v2.watchdog-min-ms (400000)")
                .hasMessageContaining("limits.max-in-flight-bytes must be 0 (derived from the task heap) or >= 1048576")
                .hasMessageContaining("5 problem(s)");
    }

    @Test
    void exactlyOnceNeedsATransactionTimeoutLongerThanTheCheckpointInterval() {
        assertThatThrownBy(() -> JobConfig.parse("delivery:\n  guarantee: exactly-once\n"
                + "  transaction-timeout-ms: 1000\ncheckpointing:\n  interval-ms: 5000\n"))
                .hasMessageContaining("longer than checkpointing.interval-ms");
    }
}
