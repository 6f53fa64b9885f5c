package io.streaminfer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.job.config.JobConfig;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/** The job's own RocksDB settings, and that a {@code flink:} entry of the job config wins over them. */
class InferenceJobConfigureTest {

    private static String setting(ReadableConfig conf, String key) {
        return conf.get(ConfigOptions.key(key).stringType().noDefaultValue());
    }

    @Test
    void setsTheJobsRocksDbOptions() {
        StreamExecutionEnvironment env = new StreamExecutionEnvironment();

        InferenceJob.configure(env, JobConfig.parse("{}"));

        ReadableConfig conf = env.getConfiguration();
        assertThat(setting(conf, "state.backend.type")).isEqualTo("rocksdb");
        assertThat(setting(conf, "state.backend.rocksdb.use-bloom-filter")).isEqualTo("true");
        assertThat(setting(conf, "state.backend.rocksdb.compression.per.level")).isEqualTo("NO_COMPRESSION");
        assertThat(setting(conf, "state.backend.rocksdb.compaction.style")).isEqualTo("UNIVERSAL");
    }

    @Test
    void aFlinkEntryOfTheJobConfigOverridesThem() {
        StreamExecutionEnvironment env = new StreamExecutionEnvironment();

        InferenceJob.configure(env, JobConfig.parse("flink:\n  state.backend.rocksdb.compaction.style: LEVEL\n"
                + "  state.backend.rocksdb.compression.per.level: SNAPPY_COMPRESSION\n"));

        ReadableConfig conf = env.getConfiguration();
        assertThat(setting(conf, "state.backend.rocksdb.compaction.style")).isEqualTo("LEVEL");
        assertThat(setting(conf, "state.backend.rocksdb.compression.per.level")).isEqualTo("SNAPPY_COMPRESSION");
        assertThat(setting(conf, "state.backend.rocksdb.use-bloom-filter")).isEqualTo("true");
    }
}
