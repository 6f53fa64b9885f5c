package io.streaminfer.job;

import io.streaminfer.job.testing.TopicCollector;
import io.streaminfer.contract.ControlRecord;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** The real job against a real broker: topics, a producer, collectors of the three output topics. */
final class PipelineHarness implements AutoCloseable {
    final EmbeddedKafka kafka;
    final JobConfig config;
    final KafkaProducer<byte[], byte[]> producer;
    final TopicCollector results;
    final TopicCollector status;
    final TopicCollector deadLetters;
    /** Streamed generations' records, read as readers read them (Kafka's default, read_uncommitted). */
    final TopicCollector tokens;
    JobClient job;

    PipelineHarness(EmbeddedKafka kafka, java.util.function.Consumer<JobConfig> customize) {
        this(kafka, "inference", "at-least-once", customize);
    }

    /** With topics {@code <prefix>.requests} etc., so several jobs can share one broker. */
    PipelineHarness(EmbeddedKafka kafka, String prefix, String guarantee,
            java.util.function.Consumer<JobConfig> customize) {
        this.kafka = kafka;
        kafka.createTopic(prefix + ".requests", 2);
        kafka.createTopic(prefix + ".results", 2);
        kafka.createTopic(prefix + ".status", 2, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(prefix + ".dlq", 1);
        kafka.createTopic(prefix + ".tokens", 2);
        kafka.createTopic(prefix + ".control", 1);
        this.config = JobConfig.parse("kafka:\n  bootstrap-servers: " + kafka.bootstrapServers() + "\n"
                + "  group-id: " + prefix + "-job\n"
                + "topics:\n  requests: " + prefix + ".requests\n  results: " + prefix + ".results\n"
                + "  status: " + prefix + ".status\n  dead-letters: " + prefix + ".dlq\n"
                + "  tokens: " + prefix + ".tokens\n  control: " + prefix + ".control\n"
                + "delivery:\n  guarantee: " + guarantee + "\n  transactional-id-prefix: " + prefix + "\n"
                + "models:\n  dir: " + System.getProperty("streaminfer.models.dir") + "\n"
                + "checkpointing:\n  interval-ms: 500\n  min-pause-ms: 100\n  dir: file://"
                + System.getProperty("java.io.tmpdir") + "/si-it-checkpoints/" + prefix + "\n"
                + "state:\n  rocksdb-local-dir: /tmp/si-it-rocks\n");
        customize.accept(config);
        config.validate();
        this.producer = kafka.producer();
        this.results = new TopicCollector(kafka.bootstrapServers(), config.topics.results,
                config.exactlyOnce() ? "read_committed" : "read_uncommitted");
        this.status = new TopicCollector(kafka.bootstrapServers(), config.topics.status, "read_committed");
        this.deadLetters = new TopicCollector(kafka.bootstrapServers(), config.topics.deadLetters, "read_committed");
        this.tokens = new TopicCollector(kafka.bootstrapServers(), config.topics.tokens, "read_uncommitted");
    }

    /** One task manager with two slots, RocksDB on a short local path. */
    static MiniClusterExtension miniCluster() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .setConfiguration(miniClusterConfig())
                .build());
    }

    static Configuration miniClusterConfig() {
        Configuration c = new Configuration();
        set(c, "taskmanager.memory.managed.size", "128m");
        set(c, "state.backend.rocksdb.localdir", "/tmp/si-it-rocks");
        return c;
    }

    private static void set(Configuration c, String key, String value) {
        ConfigOption<String> o = ConfigOptions.key(key).stringType().noDefaultValue();
        c.set(o, value);
    }

    void startJob() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.configure(env, config);
        InferencePipeline.build(env, config);
        job = env.executeAsync(config.jobName);
    }

    void send(String id, String model, String body, String... headers) {
        RecordHeaders h = new RecordHeaders();
        if (model != null) {
            h.add(KafkaContract.HEADER_MODEL, model.getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            h.add(headers[i], headers[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        producer.send(new ProducerRecord<>(config.topics.requests, null, null,
                id == null ? null : id.getBytes(StandardCharsets.UTF_8),
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), h));
    }

    void flush() {
        producer.flush();
    }

    /** Sends a cancel of {@code id} on the control topic, as the bridge does when a client goes away. */
    void cancel(String id) {
        producer.send(new ProducerRecord<>(config.topics.control, id.getBytes(StandardCharsets.UTF_8),
                ControlRecord.cancel(id, "test", System.currentTimeMillis()).toJson()));
        producer.flush();
    }

    /** The token records of a streamed generation, in the order they were read. */
    List<TokenRecord> tokenRecords(String id) {
        List<TokenRecord> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : tokens.get(id)) {
            out.add(TokenRecord.fromJson(r.value()));
        }
        return out;
    }

    List<StatusRecord> statuses(String id) {
        List<StatusRecord> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : status.get(id)) {
            out.add(StatusRecord.fromJson(r.value()));
        }
        return out;
    }

    /** The distinct final statuses of an ID (identical re-deliveries count once). */
    List<StatusRecord> finalStatuses(String id) {
        List<StatusRecord> out = new ArrayList<>();
        for (StatusRecord s : statuses(id)) {
            if (s.state().isFinal() && !out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    static String text(String id, String... sentences) {
        StringBuilder data = new StringBuilder();
        for (String s : sentences) {
            data.append(data.length() == 0 ? "" : ",").append('"').append(s.replace("\"", "\\\"")).append('"');
        }
        return "{\"id\":\"" + id + "\",\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":["
                + sentences.length + "],\"data\":[" + data + "]}]}";
    }

    static String features(String id, float... values) {
        StringBuilder data = new StringBuilder();
        for (float v : values) {
            data.append(data.length() == 0 ? "" : ",").append(v);
        }
        return "{\"id\":\"" + id + "\",\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":["
                + values.length / 4 + ",4],\"data\":[" + data + "]}]}";
    }

    @Override
    public void close() throws Exception {
        if (job != null) {
            job.cancel().get();
        }
        producer.close();
        results.close();
        status.close();
        deadLetters.close();
        tokens.close();
    }
}
