package io.streaminfer.e2e;

import io.streaminfer.bridge.Bridge;
import io.streaminfer.bridge.config.BridgeConfig;
import io.streaminfer.contract.Topics;
import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.InferencePipeline;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The whole product on real parts for end-to-end tests and the bridge benchmark: an in-process KRaft broker with the
 * contract's topics and the batch API's under a prefix, the pipeline job in a local Flink MiniCluster (RocksDB, the
 * real model), and bridge replicas started from YAML like {@code BridgeMain} would.
 */
public final class BridgeStack implements AutoCloseable {
    static final int RESULT_PARTITIONS = 4;

    final EmbeddedKafka kafka;
    final String prefix;
    JobClient job;

    public BridgeStack(EmbeddedKafka kafka, String prefix) {
        this.kafka = kafka;
        this.prefix = prefix;
        kafka.createTopic(prefix + ".requests", 2);
        kafka.createTopic(prefix + ".results", RESULT_PARTITIONS);
        kafka.createTopic(prefix + ".status", 2, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(prefix + ".dlq", 1);
        kafka.createTopic(prefix + ".callbacks", 2, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(prefix + ".tokens", RESULT_PARTITIONS);
        kafka.createTopic(prefix + ".control", 1);
        kafka.createTopic(prefix + ".files", 2, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(prefix + ".file-chunks", 2, Map.of("cleanup.policy", "compact",
                "max.message.bytes", Integer.toString(Topics.MAX_MESSAGE_BYTES)));
        kafka.createTopic(prefix + ".batches", 2, Map.of("cleanup.policy", "compact"));
    }

    JobConfig jobConfig() {
        return JobConfig.parse("kafka:\n  bootstrap-servers: " + kafka.bootstrapServers() + "\n"
                + "  group-id: " + prefix + "-job\n"
                + "topics:\n  requests: " + prefix + ".requests\n  results: " + prefix + ".results\n"
                + "  status: " + prefix + ".status\n  dead-letters: " + prefix + ".dlq\n"
                + "  tokens: " + prefix + ".tokens\n  control: " + prefix + ".control\n"
                + "models:\n  dir: " + modelsDir() + "\n"
                + "checkpointing:\n  interval-ms: 500\n  min-pause-ms: 100\n  dir: file://"
                + System.getProperty("java.io.tmpdir") + "/si-e2e-checkpoints/" + prefix + "\n"
                + "state:\n  rocksdb-local-dir: /tmp/si-e2e-rocks\n");
    }

    /** The test run's models (a Maven property), else the deploy scripts' (an environment variable). */
    public static String modelsDir() {
        String dir = System.getProperty("streaminfer.models.dir");
        if (dir == null) {
            dir = System.getenv().getOrDefault("STREAMINFER_MODELS_DIR", "deploy/models");
        }
        return dir;
    }

    BridgeStack startJob() throws Exception {
        return startJob(c -> { });
    }

    BridgeStack startJob(java.util.function.Consumer<JobConfig> customize) throws Exception {
        JobConfig config = jobConfig();
        customize.accept(config);
        config.validate();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.configure(env, config);
        InferencePipeline.build(env, config);
        job = env.executeAsync(config.jobName);
        return this;
    }

    /** A bridge config for this stack's topics; {@code extra} is YAML appended at the top level. */
    public String bridgeYaml(String replicaId, String extra) {
        return bridgeYaml(kafka.bootstrapServers(), prefix, replicaId, extra);
    }

    /** The same, before a stack (and its topics) exists: for a bridge started before its broker. */
    static String bridgeYaml(String bootstrapServers, String prefix, String replicaId, String extra) {
        return "replica-id: " + replicaId + "\n"
                + "models-dir: " + modelsDir() + "\n"
                + "http:\n  host: 127.0.0.1\n  port: 0\n"
                + "grpc:\n  port: 0\n"
                + "kafka:\n  bootstrap-servers: " + bootstrapServers + "\n  job-group-id: " + prefix
                + "-job\n"
                + "topics:\n  requests: " + prefix + ".requests\n  results: " + prefix + ".results\n"
                + "  status: " + prefix + ".status\n  callbacks: " + prefix + ".callbacks\n"
                + "  tokens: " + prefix + ".tokens\n  control: " + prefix + ".control\n"
                + "  files: " + prefix + ".files\n  file-chunks: " + prefix + ".file-chunks\n"
                + "  batches: " + prefix + ".batches\n"
                + "readiness:\n  check-interval-ms: 200\n"
                + extra;
    }

    public Bridge startBridge(String yaml) {
        return Bridge.start(BridgeConfig.parse(yaml, Map.of()));
    }

    /** Closes the parts a test started, in this order, skipping those it did not get to start (null). */
    static void closeAll(AutoCloseable... parts) throws Exception {
        for (AutoCloseable p : parts) {
            if (p != null) {
                p.close();
            }
        }
    }

    @Override
    public void close() throws Exception {
        if (job != null) {
            job.cancel().get();
        }
    }
}
