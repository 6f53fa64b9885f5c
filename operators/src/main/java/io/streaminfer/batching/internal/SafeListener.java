package io.streaminfer.batching.internal;

import io.streaminfer.batching.BatcherListener;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shields the workers from a failing listener: a metrics bug must neither kill a worker nor change an outcome. The
 * first failure is logged as a warning, later ones at debug, so a listener that always throws does not flood the log.
 */
public final class SafeListener implements BatcherListener {
    private static final Logger LOG = LoggerFactory.getLogger(SafeListener.class);

    private final BatcherListener delegate;
    private final String name;
    private final AtomicBoolean warned = new AtomicBoolean();

    public SafeListener(BatcherListener delegate, String name) {
        this.delegate = delegate;
        this.name = name;
    }

    @Override
    public void onBatch(int requests, int rows, long cost, long modelNanos) {
        guard("onBatch", () -> delegate.onBatch(requests, rows, cost, modelNanos));
    }

    @Override
    public boolean wantsCalls() {
        return delegate.wantsCalls();
    }

    @Override
    public void onCall(List<String> requestIds, int rows, long cost, long modelNanos, boolean failed) {
        guard("onCall", () -> delegate.onCall(requestIds, rows, cost, modelNanos, failed));
    }

    @Override
    public void onQueueWait(long nanos) {
        guard("onQueueWait", () -> delegate.onQueueWait(nanos));
    }

    @Override
    public void onIsolationRetry(int requestsRerun) {
        guard("onIsolationRetry", () -> delegate.onIsolationRetry(requestsRerun));
    }

    @Override
    public void onExpired() {
        guard("onExpired", delegate::onExpired);
    }

    @Override
    public void onWatchdog(int requests, long budgetNanos) {
        guard("onWatchdog", () -> delegate.onWatchdog(requests, budgetNanos));
    }

    private void guard(String method, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            if (warned.compareAndSet(false, true)) {
                LOG.warn("Batcher {}: listener {} failed; ignoring it (later failures are logged at debug)", name,
                        method, e);
            } else {
                LOG.debug("Batcher {}: listener {} failed", name, method, e);
            }
        }
    }
}
