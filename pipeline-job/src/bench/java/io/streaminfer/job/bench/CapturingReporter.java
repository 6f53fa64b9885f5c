package io.streaminfer.job.bench;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter that keeps the job's counters in this JVM, so that a benchmark running the job in a local
 * MiniCluster can read them (padding, watchdog firings): {@code metrics.reporter.capture.factory.class:
 * io.streaminfer.job.bench.CapturingReporter$Factory}.
 */
public final class CapturingReporter implements MetricReporter {
    private static final Map<String, List<Counter>> COUNTERS = new ConcurrentHashMap<>();

    /** The sum of every registered counter of this name (all subtasks, all models). */
    public static long sum(String name) {
        return COUNTERS.getOrDefault(name, List.of()).stream().mapToLong(Counter::getCount).sum();
    }

    /** Forgets the counters of jobs that ended; call it between benchmark variants. */
    public static void clear() {
        COUNTERS.clear();
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (metric instanceof Counter c) {
            COUNTERS.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(c);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CapturingReporter();
        }
    }
}
