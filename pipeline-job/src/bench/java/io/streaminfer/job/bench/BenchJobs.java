package io.streaminfer.job.bench;

import io.streaminfer.job.testing.EmbeddedKafka;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;

/** What the benchmarks that run the real job share: the broker, the MiniCluster's settings, ending a job, latencies. */
final class BenchJobs {
    private BenchJobs() {}

    /**
     * A broker in this JVM, or in a JVM of its own ({@code ownProcess}). Kafka's test kit prints its formatting to
     * System.out, which is kept for the figures.
     */
    static EmbeddedKafka startBroker(boolean ownProcess) {
        PrintStream out = System.out;
        System.setOut(System.err);
        try {
            // Under a 2-core benchmark the broker's heartbeats can be late; do not let it fence itself.
            Map<String, String> overrides = Map.of("broker.session.timeout.ms", "30000");
            return ownProcess ? EmbeddedKafka.startInOwnProcess(overrides) : EmbeddedKafka.start(overrides);
        } finally {
            System.setOut(out);
        }
    }

    /** The local MiniCluster's settings: small managed memory, a short RocksDB path, any free REST port. */
    static Configuration miniCluster() {
        Configuration conf = new Configuration();
        set(conf, "taskmanager.memory.managed.size", "128m");
        set(conf, "state.backend.rocksdb.localdir", "/tmp/si-bench-rocks"); // a short path: RocksDB's limit
        set(conf, "rest.bind-port", "0"); // never collide with another MiniCluster on this machine
        return conf;
    }

    static void set(Configuration conf, String key, String value) {
        conf.set(ConfigOptions.key(key).stringType().noDefaultValue(), value);
    }

    /** Cancels the job and waits until it has ended, so the next phase has the machine to itself. */
    static void cancel(JobClient job) throws Exception {
        job.cancel().get(1, TimeUnit.MINUTES);
        job.getJobExecutionResult().handle((r, e) -> null).get(2, TimeUnit.MINUTES);
    }

    /** Send-to-arrival times of the requests that arrived (an arrival of 0: none). */
    static Stats latencies(long[] sent, long[] arrived) {
        long[] lat = new long[sent.length];
        int k = 0;
        for (int i = 0; i < sent.length; i++) {
            if (arrived[i] != 0) {
                lat[k++] = arrived[i] - sent[i];
            }
        }
        return new Stats(lat, k);
    }
}
