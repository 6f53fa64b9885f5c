package io.streaminfer.flink.graph;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * One graph step's metrics, under {@code graph/<graph>/step/<step>} of its operator: requests it ran, skipped,
 * failed (expired and timed out apart), and for those it ran the size of the batch they ran in (the batch is the
 * model's, shared with every other user of that model), their queue wait and model time. Updated from the
 * batcher's threads, hence the locking.
 */
final class StepMetrics {
    final Counter ran;
    final Counter skipped;
    final Counter failed;
    final Counter expired;
    final Counter timeouts;
    private final Histogram batchSize;
    private final Histogram queueWaitMs;
    private final Histogram modelTimeMs;

    StepMetrics(MetricGroup operator, String graph, String step) {
        MetricGroup g = operator.addGroup("graph", graph).addGroup("step", step);
        ran = g.counter("ran", new ThreadSafeSimpleCounter());
        skipped = g.counter("skipped", new ThreadSafeSimpleCounter());
        failed = g.counter("failed", new ThreadSafeSimpleCounter());
        expired = g.counter("expired", new ThreadSafeSimpleCounter());
        timeouts = g.counter("timeouts", new ThreadSafeSimpleCounter());
        batchSize = g.histogram("batchSize", new DescriptiveStatisticsHistogram(2_000));
        queueWaitMs = g.histogram("queueWaitMs", new DescriptiveStatisticsHistogram(2_000));
        modelTimeMs = g.histogram("modelTimeMs", new DescriptiveStatisticsHistogram(2_000));
    }

    synchronized void ran(int batchRequests, long queueNanos, long modelNanos) {
        ran.inc();
        if (batchRequests > 0) {
            batchSize.update(batchRequests);
        }
        if (queueNanos >= 0) {
            queueWaitMs.update(queueNanos / 1_000_000);
        }
        if (modelNanos >= 0) {
            modelTimeMs.update(modelNanos / 1_000_000);
        }
    }
}
