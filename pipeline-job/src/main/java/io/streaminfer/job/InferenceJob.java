package io.streaminfer.job;

import io.streaminfer.job.config.JobConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job's entry point: {@code InferenceJob --config job.yaml}. Submitted to a cluster with the shaded jar
 * ({@code deploy/submit}, which passes the config inline as {@code --config-base64}), or run locally (a MiniCluster)
 * from the command line.
 */
public final class InferenceJob {
    private InferenceJob() {}

    public static void main(String[] args) throws Exception {
        // Bad arguments throw rather than System.exit: on a cluster, main() runs inside the JobManager (REST
        // submission), and an exit there would take the JobManager down; the exception reaches the submitter.
        JobConfig config = configFrom(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, config);
        InferencePipeline.build(env, config);
        env.execute(config.jobName);
    }

    /**
     * The job config from the program arguments: {@code --config FILE}, or {@code --config-base64 TEXT} (the YAML
     * itself, base64: a remote cluster runs {@code main} where the submitter's files are not, so deploy/submit
     * sends the content), and optionally {@code --parallelism N}, which overrides {@code execution.parallelism}
     * (the job sets its parallelism itself, so the REST API's parallelism field alone would be ignored).
     */
    public static JobConfig configFrom(String[] args) {
        Path configFile = null;
        String inline = null;
        Integer parallelism = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean hasValue = i + 1 < args.length;
            if ("--config".equals(a) && hasValue) {
                configFile = Path.of(args[++i]);
            } else if ("--config-base64".equals(a) && hasValue) {
                try {
                    inline = new String(Base64.getDecoder().decode(args[++i].trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--config-base64 is not base64: " + e.getMessage(), e);
                }
            } else if ("--parallelism".equals(a) && hasValue) {
                try {
                    parallelism = Integer.valueOf(args[++i]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--parallelism needs a number, got '" + args[i] + "'", e);
                }
            } else {
                throw new IllegalArgumentException("unknown or incomplete argument '" + a + "'\n" + USAGE);
            }
        }
        if ((configFile == null) == (inline == null)) {
            throw new IllegalArgumentException(USAGE);
        }
        JobConfig config = configFile != null ? JobConfig.load(configFile) : JobConfig.parse(inline);
        if (parallelism != null) {
            config.execution.parallelism = parallelism;
            config.validate();
        }
        return config;
    }

    private static final String USAGE = "usage: InferenceJob (--config job.yaml | --config-base64 BASE64_OF_YAML) "
            + "[--parallelism N]   (deploy/job/job.yaml is an example)";

    /** Checkpointing, the RocksDB state backend, buffer timeout and restarts, from the job config. */
    public static void configure(StreamExecutionEnvironment env, JobConfig config) {
        Configuration conf = new Configuration();
        set(conf, "state.backend.type", "rocksdb");
        set(conf, "execution.checkpointing.incremental", Boolean.toString(config.checkpointing.incremental));
        if (config.checkpointing.dir != null) {
            set(conf, "execution.checkpointing.dir", config.checkpointing.dir);
        }
        if (config.state.rocksdbLocalDir != null) {
            set(conf, "state.backend.rocksdb.localdir", config.state.rocksdbLocalDir);
        }
        // Nearly every state lookup is for an ID not seen yet (admission, the outcome recorder): without a Bloom
        // filter RocksDB reads a block of every level to say "absent", and once the state outgrows the block cache
        // (a few hundred thousand requests) the task thread spent its time in RocksDB.get (docs/job.md, "State in
        // RocksDB").
        set(conf, "state.backend.rocksdb.use-bloom-filter", "true");
        // What is stored is mostly results (embeddings: floats that do not compress) and flags; Snappy on every
        // flush, compaction and block read cost more than half of a GPU stand-in run's CPU for no space.
        set(conf, "state.backend.rocksdb.compression.per.level", "NO_COMPRESSION");
        // Every request writes new keys that are read once or twice and then only expire: leveled compaction
        // rewrote each of them level after level (RocksDB's threads took 13-19% of a no-op run's CPU); universal
        // compaction merges whole sorted runs, rewriting each key a few times (5-9%). The price is space: up to
        // about twice the live state on disk between merges (docs/job.md, "State in RocksDB").
        set(conf, "state.backend.rocksdb.compaction.style", "UNIVERSAL");
        set(conf, "restart-strategy.type", "fixed-delay");
        set(conf, "restart-strategy.fixed-delay.attempts", Integer.toString(config.execution.restartAttempts));
        set(conf, "restart-strategy.fixed-delay.delay", config.execution.restartDelayMs + " ms");
        config.flink.forEach((k, v) -> set(conf, k, v));
        env.configure(conf);
        env.setParallelism(config.execution.parallelism);
        env.setBufferTimeout(config.execution.bufferTimeoutMs);
        // Chained operators pass records without copying them. Safe here: no operator keeps or changes a record it
        // has emitted, state is serialized on write, and the async operator copies what it buffers itself.
        env.getConfig().enableObjectReuse();
        env.enableCheckpointing(config.checkpointing.intervalMs, CheckpointingMode.EXACTLY_ONCE);
        env.getCheckpointConfig().setMinPauseBetweenCheckpoints(config.checkpointing.minPauseMs);
        env.getCheckpointConfig().setCheckpointTimeout(Duration.ofMinutes(5).toMillis());
    }

    private static void set(Configuration conf, String key, String value) {
        ConfigOption<String> option = ConfigOptions.key(key).stringType().noDefaultValue();
        conf.set(option, value);
    }
}
