package io.streaminfer.batching;

import static io.streaminfer.batching.Waits.await;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;

/** A fake model, a recording listener and controllable clocks for batcher tests; closes its batchers after each. */
abstract class BatcherTestSupport {
    private static final AtomicInteger NAMES = new AtomicInteger();

    final FakeExecutor executor = new FakeExecutor();
    final RecordingListener listener = new RecordingListener();
    /** Wall clock for deadlines; tests move it. */
    final AtomicLong epochMs = new AtomicLong(1_700_000_000_000L);
    /** Nano clock for batchers made with {@link #batcherOnFakeNanos}; tests move it. */
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<MicroBatcher<InferenceRequest>> batchers = new ArrayList<>();

    /** A builder with a name of its own, so its worker threads can be told apart. */
    static BatchingConfig.Builder config() {
        return BatchingConfig.builder().name("test" + NAMES.incrementAndGet()).closeTimeout(
                java.time.Duration.ofSeconds(5));
    }

    MicroBatcher<InferenceRequest> batcher(BatchingConfig.Builder config) {
        return track(new MicroBatcher<>(config.build(), executor, listener, System::nanoTime, epochMs::get));
    }

    MicroBatcher<InferenceRequest> batcherOnFakeNanos(BatchingConfig.Builder config) {
        return track(new MicroBatcher<>(config.build(), executor, listener, nanos::get, epochMs::get));
    }

    MicroBatcher<InferenceRequest> track(MicroBatcher<InferenceRequest> b) {
        batchers.add(b);
        return b;
    }

    @AfterEach
    void closeBatchers() {
        batchers.forEach(MicroBatcher::close);
    }

    /** A request of {@code rows} rows (its cost travels beside it, as {@link Work}). */
    static InferenceRequest request(String id, int rows) {
        return new InferenceRequest(id, List.of(Tensor.ofFloats("x", new long[] {rows, 1}, new float[rows])));
    }

    static InferenceRequest request(String id) {
        return request(id, 1);
    }

    static Submitted submit(MicroBatcher<InferenceRequest> b, String id) {
        return b.submit(id, request(id), Work.rows(1), 0, Long.MAX_VALUE);
    }

    static Submitted submitRows(MicroBatcher<InferenceRequest> b, String id, int rows) {
        return b.submit(id, request(id, rows), Work.rows(rows), 0, Long.MAX_VALUE);
    }

    /** A text-like request: {@code rows} rows, the longest {@code longest} tokens. */
    static Submitted submitText(MicroBatcher<InferenceRequest> b, String id, int rows, int longest) {
        return b.submit(id, request(id, rows), Work.of(rows, longest, (long) rows * longest), 0, Long.MAX_VALUE);
    }

    static Submitted submitPriority(MicroBatcher<InferenceRequest> b, String id, int priority) {
        return b.submit(id, request(id), Work.rows(1), priority, Long.MAX_VALUE);
    }

    static Submitted submitDeadline(MicroBatcher<InferenceRequest> b, String id, long deadlineEpochMs) {
        return b.submit(id, request(id), Work.rows(1), 0, deadlineEpochMs);
    }

    /** Waits for the future and returns its prediction. */
    static Prediction outcome(CompletableFuture<Prediction> f) {
        await().until(f::isDone);
        return f.getNow(null);
    }

    static void awaitAll(List<? extends CompletableFuture<Prediction>> futures) {
        await().until(() -> futures.stream().allMatch(CompletableFuture::isDone));
    }

    /**
     * Waits until a worker of {@code b} sits in a timed wait: it saw queued work and chose to wait for the batch to
     * fill or for maxDelay. (Workers with nothing queued wait untimed; workers held by the fake wait untimed too.)
     */
    static void awaitWorkerWaitingToFill(MicroBatcher<?> b) {
        String prefix = b.config().name() + "-batcher-";
        await().until(() -> Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith(prefix) && t.getState() == Thread.State.TIMED_WAITING));
    }

    static List<Thread> workerThreads(MicroBatcher<?> b) {
        String prefix = b.config().name() + "-batcher-";
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).toList();
    }
}
