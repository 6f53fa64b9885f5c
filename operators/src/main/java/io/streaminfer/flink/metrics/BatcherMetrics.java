package io.streaminfer.flink.metrics;

import io.streaminfer.batching.BatcherListener;
import io.streaminfer.batching.MicroBatcher;
import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A model's batching metrics in Flink's metric system (and so in Prometheus): batch size, rows and cost, queue wait,
 * model time, padding, isolation re-runs, expiries, watchdog firings, queue depth in requests and in work, and the
 * limits a batch closes at (rows, cost). Updated from the batcher's and the model's threads, hence the locking.
 */
@Internal
public final class BatcherMetrics implements BatcherListener {
    private final MetricGroup group;
    private final Histogram batchSize;
    private final Histogram batchRows;
    private final Histogram batchCost;
    private final Histogram modelTimeMs;
    private final Histogram queueWaitMs;
    private final Histogram paddingEfficiency;
    private final Counter realTokens;
    private final Counter paddedTokens;
    private final Counter isolationRetries;
    private final Counter expired;
    private final Counter batches;
    private final Counter watchdogFirings;
    private final Counter modelNanos;

    public BatcherMetrics(MetricGroup group) {
        this.group = group;
        this.batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(2_000));
        this.batchRows = group.histogram("batchRows", new DescriptiveStatisticsHistogram(2_000));
        this.batchCost = group.histogram("batchCost", new DescriptiveStatisticsHistogram(2_000));
        this.modelTimeMs = group.histogram("modelTimeMs", new DescriptiveStatisticsHistogram(2_000));
        this.queueWaitMs = group.histogram("queueWaitMs", new DescriptiveStatisticsHistogram(10_000));
        this.paddingEfficiency = group.histogram("paddingEfficiencyPct", new DescriptiveStatisticsHistogram(2_000));
        this.realTokens = group.counter("realTokens", new ThreadSafeSimpleCounter());
        this.paddedTokens = group.counter("paddedTokens", new ThreadSafeSimpleCounter());
        this.isolationRetries = group.counter("isolationRetries", new ThreadSafeSimpleCounter());
        this.expired = group.counter("expiredInQueue", new ThreadSafeSimpleCounter());
        this.batches = group.counter("batches", new ThreadSafeSimpleCounter());
        this.watchdogFirings = group.counter("watchdogFirings", new ThreadSafeSimpleCounter());
        this.modelNanos = group.counter("modelNanos", new ThreadSafeSimpleCounter());
    }

    public void registerGauges(MicroBatcher<?> batcher) {
        group.gauge("queuedRequests", batcher::queuedRequests);
        group.gauge("queuedWork", batcher::queuedWork);
        group.gauge("busyWorkers", batcher::busyWorkers);
        group.gauge("stuckCalls", batcher::stuckCalls);
        // The limits a batch closes at: a batch's rows and cost against these is how full the batches run.
        int maxRows = batcher.config().maxBatchRows();
        long maxCost = batcher.config().maxBatchCost();
        group.gauge("maxBatchRows", () -> maxRows);
        group.gauge("maxBatchCost", () -> maxCost);
    }

    @Override
    public void onBatch(int requests, int rows, long cost, long modelNanos) {
        batches.inc();
        this.modelNanos.inc(modelNanos);
        synchronized (this) {
            batchSize.update(requests);
            batchRows.update(rows);
            batchCost.update(cost);
            modelTimeMs.update(modelNanos / 1_000_000);
        }
    }

    /** A forward pass of a text model: real tokens against what was computed with padding. */
    public void onForward(long real, long padded) {
        realTokens.inc(real);
        paddedTokens.inc(padded);
        synchronized (this) {
            paddingEfficiency.update(padded == 0 ? 100 : Math.round(100.0 * real / padded));
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

    @Override
    public void onWatchdog(int requests, long budgetNanos) {
        watchdogFirings.inc();
    }
}
