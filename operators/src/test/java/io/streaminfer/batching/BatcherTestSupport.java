package io.streaminfer.batching;

import static io.streaminfer.batching.Waits.await;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    private final List<MicroBatcher> batchers = new ArrayList<>();

    /** A builder with a name of its own, so its worker threads can be told apart. */
    static BatchingConfig.Builder config() {
        return BatchingConfig.builder().name("test" + NAMES.incrementAndGet()).closeTimeout(
                java.time.Duration.ofSeconds(5));
    }

    MicroBatcher batcher(BatchingConfig.Builder config) {
        return track(new MicroBatcher(config.build(), executor, BatcherTestSupport::costOf, listener,
                System::nanoTime, epochMs::get));
    }

    MicroBatcher batcherOnFakeNanos(BatchingConfig.Builder config) {
        return track(new MicroBatcher(config.build(), executor, BatcherTestSupport::costOf, listener, nanos::get,
                epochMs::get));
    }

    private MicroBatcher track(MicroBatcher b) {
        batchers.add(b);
        return b;
    }

    @AfterEach
    void closeBatchers() {
        batchers.forEach(MicroBatcher::close);
    }

    /** A request of {@code rows} rows whose cost (for bucketing) is {@code cost}. */
    static InferenceRequest request(String id, int rows, int cost) {
        float[] data = new float[rows];
        return new InferenceRequest(id, Map.of("cost", cost), List.of(Tensor.ofFloats("x", new long[] {rows, 1},
                data)), null);
    }

    static InferenceRequest request(String id) {
        return request(id, 1, 1);
    }

    static int costOf(InferenceRequest r) {
        return (Integer) r.parameters().get("cost");
    }

    static CompletableFuture<Prediction> submit(MicroBatcher b, String id) {
        return b.submit(request(id), 1, 0, Long.MAX_VALUE);
    }

    static CompletableFuture<Prediction> submitRows(MicroBatcher b, String id, int rows) {
        return b.submit(request(id, rows, 1), rows, 0, Long.MAX_VALUE);
    }

    /** Waits for the future and returns its prediction. */
    static Prediction outcome(CompletableFuture<Prediction> f) {
        await().until(f::isDone);
        return f.getNow(null);
    }

    static void awaitAll(List<CompletableFuture<Prediction>> futures) {
        await().until(() -> futures.stream().allMatch(CompletableFuture::isDone));
    }

    /**
     * Waits until a worker of {@code b} sits in a timed wait: it saw queued work and chose to wait for the batch to
     * fill or for maxDelay. (Workers with nothing queued wait untimed; workers held by the fake wait untimed too.)
     */
    static void awaitWorkerWaitingToFill(MicroBatcher b) {
        String prefix = b.config().name() + "-batcher-";
        await().until(() -> Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith(prefix) && t.getState() == Thread.State.TIMED_WAITING));
    }

    static List<Thread> workerThreads(MicroBatcher b) {
        String prefix = b.config().name() + "-batcher-";
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).toList();
    }
}
