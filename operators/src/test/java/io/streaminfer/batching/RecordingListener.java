package io.streaminfer.batching;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what the batcher reports. */
final class RecordingListener implements BatcherListener {
    final List<int[]> batches = new CopyOnWriteArrayList<>(); // {requests, rows}
    final AtomicInteger queueWaits = new AtomicInteger();
    final List<Integer> isolationRetries = new CopyOnWriteArrayList<>();
    final AtomicInteger expired = new AtomicInteger();

    @Override
    public void onBatch(int requests, int rows, long modelNanos) {
        batches.add(new int[] {requests, rows});
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
}
