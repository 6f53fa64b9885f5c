package io.streaminfer.flink.sql;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.flink.inference.AssignedGpus;
import io.streaminfer.flink.metrics.BatcherMetrics;
import io.streaminfer.flink.sql.internal.GenerativeRows;
import io.streaminfer.flink.sql.internal.LocalRows;
import io.streaminfer.flink.sql.internal.RemoteRows;
import io.streaminfer.flink.sql.internal.RowBackend;
import io.streaminfer.flink.sql.internal.RowBindings;
import io.streaminfer.flink.sql.internal.RowDecoder;
import io.streaminfer.flink.sql.internal.RowEncoder;
import io.streaminfer.runtime.Prediction;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ML_PREDICT's async function for a {@code streaminfer} model: each row becomes a one-row OIP request, joins the
 * subtask's micro-batcher (local model or remote server), and its future completes with the output row when its
 * batch returns. A row that fails (bad input, model error, timeout) becomes what {@code 'on-error'} says: a row of
 * null outputs whose error column says why, no row, or a failed query. The task never fails for a row unless the
 * user chose {@code 'fail'}.
 *
 * <p>Time: a row that has not finished a little before ML_PREDICT's own {@code timeout} fails on its own with
 * TIMEOUT (Flink's timeout would fail the task). Metrics, under the operator's group: per model the batcher's (group
 * {@code model}, as in the job: {@code batchSize}, {@code batchRows}, {@code modelTimeMs}, ...), and {@code
 * rowsSucceeded}, {@code rowsFailed}, {@code rowsFailed.<ERROR_CODE>}, {@code rowsInFlight}.
 */
public final class BatchedPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BatchedPredictFunction.class);
    /** Bad rows are logged one by one up to this many per subtask, then counted only. */
    private static final int LOGGED_FAILURES = 20;

    private final SqlModelOptions options;
    private final RowBindings bindings;
    private final long rowDeadlineMs;
    private final int concurrency;
    private final RowEncoder encoder;
    private final RowDecoder decoder;

    private transient RowBackend backend;
    private transient ScheduledExecutorService timer;
    private transient String subtask;
    private transient AtomicLong sequence;
    private transient AtomicInteger inFlight;
    private transient AtomicInteger logged;
    private transient Counter succeeded;
    private transient Counter failed;
    private transient Map<ErrorCode, Counter> failedBy;
    private transient MetricGroup group;
    private transient OptionalInt gpu;

    BatchedPredictFunction(SqlModelOptions options, RowBindings bindings, long rowDeadlineMs, int concurrency) {
        this.options = options;
        this.bindings = bindings;
        this.rowDeadlineMs = rowDeadlineMs;
        this.concurrency = concurrency;
        this.encoder = new RowEncoder(bindings);
        this.decoder = new RowDecoder(bindings);
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        gpu = OptionalInt.empty();
        subtask = Integer.toString(context.getTaskInfo().getIndexOfThisSubtask());
        sequence = new AtomicLong();
        inFlight = new AtomicInteger();
        logged = new AtomicInteger();
        group = context.getMetricGroup();
        succeeded = group.counter("rowsSucceeded", new ThreadSafeSimpleCounter());
        failed = group.counter("rowsFailed", new ThreadSafeSimpleCounter());
        failedBy = new ConcurrentHashMap<>();
        group.gauge("rowsInFlight", () -> inFlight.get());
        BatcherMetrics metrics = new BatcherMetrics(group.addGroup("model", bindings.signature().model()));
        int maxRows;
        if (options.remote()) {
            RemoteRows remote = RemoteRows.open(options, metrics, subtask);
            backend = remote;
            maxRows = remote.maxBatchRows();
        } else if (bindings.signature().generative()) {
            gpu = AssignedGpus.acquire(context.getExternalResourceInfos(AssignedGpus.RESOURCE));
            DeviceSpec device = gpu.isPresent() ? DeviceSpec.gpu(gpu.getAsInt())
                    : options.device() == null ? null : DeviceSpec.parse(options.device());
            GenerativeRows generative = GenerativeRows.open(options.modelsDir(), options.model(),
                    bindings.signature().version(), device, subtask,
                    group.addGroup("generation", bindings.signature().model()));
            backend = generative;
            maxRows = generative.maxBatchRows();
        } else {
            gpu = AssignedGpus.acquire(context.getExternalResourceInfos(AssignedGpus.RESOURCE));
            DeviceSpec device = gpu.isPresent() ? DeviceSpec.gpu(gpu.getAsInt())
                    : options.device() == null ? null : DeviceSpec.parse(options.device());
            LocalRows local = LocalRows.open(options.modelsDir(), options.model(), bindings.signature().version(),
                    device, options.workers(), options.batching(), metrics, subtask);
            backend = local;
            maxRows = local.maxBatchRows();
        }
        int workers = options.remote() ? (options.workers() == null ? 4 : options.workers())
                : backend instanceof LocalRows local ? local.replica().workers() : 1;
        int advised = advisedConcurrency(workers, maxRows);
        if (concurrency < advised) {
            LOG.warn("ML_PREDICT on {} keeps only {} row(s) in flight per subtask, so no batch holds more than {} of "
                    + "the {} a model call could take: set 'max-concurrent-operations' to {} (ML_PREDICT's MAP "
                    + "option, or table.exec.async-ml-predict.max-concurrent-operations)", bindings.signature().key(),
                    concurrency, concurrency, maxRows, advised);
        }
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "ml-predict-timeouts-" + subtask);
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true); // a row that finished in time leaves no timer behind
        timer = t;
    }

    /** Enough rows in flight for every worker to run a full batch while the next full batches wait. */
    static int advisedConcurrency(int workers, int maxBatchRows) {
        return 2 * workers * maxBatchRows;
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData features) {
        String rowId = subtask + "-" + sequence.incrementAndGet();
        CompletableFuture<Collection<RowData>> result = new CompletableFuture<>();
        String broken = backend.failure();
        if (broken != null) {
            // Failing the task restarts it with a fresh replica: the model cannot serve (stuck calls), not the row.
            result.completeExceptionally(new IllegalStateException("model " + bindings.signature().key()
                    + " cannot serve: " + broken));
            return result;
        }
        InferenceRequest request;
        try {
            request = withGeneration(encoder.encode(rowId, features));
        } catch (InferenceException e) {
            fail(result, rowId, e.code(), e.getMessage());
            return result;
        }
        CompletableFuture<Prediction> prediction;
        try {
            prediction = backend.submit(rowId, request, System.currentTimeMillis() + rowDeadlineMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.completeExceptionally(e);
            return result;
        }
        inFlight.incrementAndGet();
        ScheduledFuture<?> guard = timer.schedule(() -> {
            if (!prediction.isDone()) {
                prediction.cancel(false); // still queued: it leaves the queue and never runs
                fail(result, rowId, ErrorCode.TIMEOUT, "no result within " + rowDeadlineMs + " ms, just under "
                        + "ML_PREDICT's 'timeout' (raise it, or 'max-concurrent-operations' lower)");
            }
        }, rowDeadlineMs, TimeUnit.MILLISECONDS);
        prediction.whenComplete((p, error) -> {
            guard.cancel(false);
            inFlight.decrementAndGet();
            if (error != null) {
                if (!(error instanceof java.util.concurrent.CancellationException)) {
                    fail(result, rowId, ErrorCode.INTERNAL, "internal error: " + error);
                }
            } else if (!p.isSuccess()) {
                fail(result, rowId, p.errorCode(), p.error());
            } else {
                try {
                    RowData out = decoder.decode(p.response());
                    succeeded.inc();
                    result.complete(List.of(out));
                } catch (RuntimeException e) {
                    ErrorCode code = e instanceof InferenceException ie ? ie.code() : ErrorCode.INTERNAL;
                    fail(result, rowId, code, e.getMessage());
                }
            }
        });
        return result;
    }

    /** A generative model's row carries the query's {@code generation.*} options as request parameters. */
    private InferenceRequest withGeneration(InferenceRequest request) {
        if (options.generationParameters().isEmpty()) {
            return request;
        }
        Map<String, Object> parameters = new HashMap<>(request.parameters());
        options.generationParameters().forEach(parameters::putIfAbsent);
        return new InferenceRequest(request.id(), parameters, request.inputs(), request.outputs());
    }

    private void fail(CompletableFuture<Collection<RowData>> result, String rowId, ErrorCode code, String message) {
        if (result.isDone()) {
            return;
        }
        failed.inc();
        failedBy.computeIfAbsent(code, c -> group.counter("rowsFailed." + c.name(), new ThreadSafeSimpleCounter()))
                .inc();
        String error = code.name() + ": " + message;
        if (logged.incrementAndGet() <= LOGGED_FAILURES) {
            LOG.warn("Row {} of ML_PREDICT on {} failed ({}): {}", rowId, bindings.signature().key(),
                    options.onError() == SqlModelOptions.OnError.FAIL ? "failing the query" : "on-error "
                            + options.onError().name().toLowerCase(java.util.Locale.ROOT), error);
        }
        switch (options.onError()) {
            case FAIL:
                result.completeExceptionally(new RowFailedException(rowId, error));
                break;
            case SKIP:
                result.complete(List.of());
                break;
            default:
                result.complete(List.of(decoder.failed(error)));
        }
    }

    @Override
    public void close() throws Exception {
        if (timer != null) {
            timer.shutdownNow();
        }
        if (backend != null) {
            backend.close();
        }
        AssignedGpus.release(gpu);
        gpu = OptionalInt.empty();
    }

    /** A row failed and {@code 'on-error'} is {@code 'fail'}. */
    public static final class RowFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RowFailedException(String rowId, String error) {
            super("row " + rowId + " failed and 'on-error' = 'fail': " + error + " (set 'on-error' = 'null' to keep "
                    + "going with the error in a column)");
        }
    }
}
