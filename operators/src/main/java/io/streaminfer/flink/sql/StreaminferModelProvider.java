package io.streaminfer.flink.sql;

import io.streaminfer.flink.sql.internal.RowBindings;
import java.time.Duration;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A checked {@code streaminfer} model: makes the batched async predict function for each {@code ML_PREDICT} that
 * uses it. Async only: batching needs rows in flight ({@code 'async' = 'false'} is refused by Flink's planner).
 */
public final class StreaminferModelProvider implements AsyncPredictRuntimeProvider {
    private static final Logger LOG = LoggerFactory.getLogger(StreaminferModelProvider.class);

    private final SqlModelOptions options;
    private final RowBindings bindings;
    private final Duration sessionTimeout;
    private final int sessionConcurrency;

    StreaminferModelProvider(SqlModelOptions options, RowBindings bindings, Duration sessionTimeout,
            int sessionConcurrency) {
        this.options = options;
        this.bindings = bindings;
        this.sessionTimeout = sessionTimeout;
        this.sessionConcurrency = sessionConcurrency;
    }

    @Override
    public AsyncPredictFunction createAsyncPredictFunction(Context context) {
        Duration timeout = StreaminferModelProviderFactory.timeout(context.runtimeConfig(), sessionTimeout);
        int concurrency = StreaminferModelProviderFactory.concurrency(context.runtimeConfig(), sessionConcurrency);
        LOG.info("ML_PREDICT on {}: up to {} row(s) in flight per subtask (max-concurrent-operations), timeout {}",
                bindings.signature().key(), concurrency, timeout);
        return new BatchedPredictFunction(options, bindings, rowDeadlineMs(timeout), concurrency);
    }

    /**
     * How long a row may take before it fails on its own with TIMEOUT: a little less than ML_PREDICT's timeout,
     * whose expiry would fail the task (and restart the job) instead of the row.
     */
    static long rowDeadlineMs(Duration timeout) {
        long ms = timeout.toMillis();
        return Math.max(1, ms - Math.max(Math.min(ms / 10, 10_000), Math.min(ms / 2, 500)));
    }

    @Override
    public ModelProvider copy() {
        return new StreaminferModelProvider(options, bindings, sessionTimeout, sessionConcurrency);
    }
}
