package io.streaminfer.job;

import io.streaminfer.job.config.JobConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job's entry point: {@code InferenceJob --config job.yaml}. Submitted to a cluster with the shaded jar, or run
 * locally (a MiniCluster) from the command line.
 */
public final class InferenceJob {
    private InferenceJob() {}

    public static void main(String[] args) throws Exception {
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            if ("--config".equals(args[i]) && i + 1 < args.length) {
                configFile = Path.of(args[++i]);
            }
        }
        if (configFile == null) {
            System.err.println("usage: InferenceJob --config job.yaml   (deploy/job/job.yaml is an example)");
            System.exit(2);
        }
        JobConfig config = JobConfig.load(configFile);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, config);
        InferencePipeline.build(env, config);
        env.execute(config.jobName);
    }

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
        set(conf, "restart-strategy.type", "fixed-delay");
        set(conf, "restart-strategy.fixed-delay.attempts", Integer.toString(config.execution.restartAttempts));
        set(conf, "restart-strategy.fixed-delay.delay", config.execution.restartDelayMs + " ms");
        config.flink.forEach((k, v) -> set(conf, k, v));
        env.configure(conf);
        env.setParallelism(config.execution.parallelism);
        env.setBufferTimeout(config.execution.bufferTimeoutMs);
        env.enableCheckpointing(config.checkpointing.intervalMs, CheckpointingMode.EXACTLY_ONCE);
        env.getCheckpointConfig().setMinPauseBetweenCheckpoints(config.checkpointing.minPauseMs);
        env.getCheckpointConfig().setCheckpointTimeout(Duration.ofMinutes(5).toMillis());
    }

    private static void set(Configuration conf, String key, String value) {
        ConfigOption<String> option = ConfigOptions.key(key).stringType().noDefaultValue();
        conf.set(option, value);
    }
}
