package io.streaminfer.batching;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what the batcher reports. */
final class RecordingListener implements BatcherListener {
    final List<long[]> batches = new CopyOnWriteArrayList<>(); // {requests, rows, cost}
    final AtomicInteger queueWaits = new AtomicInteger();
    final List<Integer> isolationRetries = new CopyOnWriteArrayList<>();
    final AtomicInteger expired = new AtomicInteger();
    final List<Integer> watchdog = new CopyOnWriteArrayList<>();

    @Override
    public void onBatch(int requests, int rows, long cost, long modelNanos) {
        batches.add(new long[] {requests, rows, cost});
    }

    @Override
    public void onQueueWait(long nanos) {
        queueWaits.incrementAndGet();
    }

    @Override
    public void onIsolationRetry(int requestsRerun) {
        isolationRetries.add(requestsRerun);
    }

    @Override
    public void onExpired() {
        expired.incrementAndGet();
    }

    @Override
    public void onWatchdog(int requests, long budgetNanos) {
        watchdog.add(requests);
    }
}
