package io.streaminfer.flink.metrics;

import io.streaminfer.batching.BatcherListener;
import io.streaminfer.batching.MicroBatcher;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A model's batching metrics in Flink's metric system (and so in Prometheus): batch size and rows, queue wait, model
 * time, isolation re-runs, expiries, queue depth. Updated from the batcher's worker threads, hence the locking.
 */
public final class BatcherMetrics implements BatcherListener {
    private final MetricGroup group;
    private final Histogram batchSize;
    private final Histogram batchRows;
    private final Histogram modelTimeMs;
    private final Histogram queueWaitMs;
    private final Counter isolationRetries;
    private final Counter expired;
    private final Counter batches;

    public BatcherMetrics(MetricGroup group) {
        this.group = group;
        this.batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(2_000));
        this.batchRows = group.histogram("batchRows", new DescriptiveStatisticsHistogram(2_000));
        this.modelTimeMs = group.histogram("modelTimeMs", new DescriptiveStatisticsHistogram(2_000));
        this.queueWaitMs = group.histogram("queueWaitMs", new DescriptiveStatisticsHistogram(10_000));
        this.isolationRetries = group.counter("isolationRetries", new ThreadSafeSimpleCounter());
        this.expired = group.counter("expiredInQueue", new ThreadSafeSimpleCounter());
        this.batches = group.counter("batches", new ThreadSafeSimpleCounter());
    }

    public void registerGauges(MicroBatcher batcher) {
        group.gauge("queuedRequests", batcher::queuedRequests);
        group.gauge("busyWorkers", batcher::busyWorkers);
    }

    @Override
    public void onBatch(int requests, int rows, long modelNanos) {
        batches.inc();
        synchronized (this) {
            batchSize.update(requests);
            batchRows.update(rows);
            modelTimeMs.update(modelNanos / 1_000_000);
        }
    }

    @Override
    public void onQueueWait(long nanos) {
        synchronized (this) {
            queueWaitMs.update(nanos / 1_000_000);
        }
    }

    @Override
    public void onIsolationRetry(int requestsRerun) {
        isolationRetries.inc(requestsRerun);
    }

    @Override
    public void onExpired() {
        expired.inc();
    }
}
