package io.streaminfer.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.batching.FakeExecutor.Gate;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.runtime.Prediction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Failures: culprit isolation, per-request errors, executors and listeners that throw. */
class MicroBatcherFailureTest extends BatcherTestSupport {
    private static final Duration HOUR = Duration.ofHours(1);

    /** Queues r0..r(n-1) behind a held call, so they form one batch when it is released. */
    private List<CompletableFuture<Prediction>> oneBatchOf(MicroBatcher<InferenceRequest> b, int n) {
        Gate gate = executor.hold(ids -> ids.equals(List.of("x")));
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        List<CompletableFuture<Prediction>> futures = new ArrayList<>();
        IntStream.range(0, n).forEach(i -> futures.add(submit(b, "r" + i)));
        gate.release();
        awaitAll(futures);
        assertThat(x.join().isSuccess()).isTrue();
        return futures;
    }

    @Test
    void aPoisonousRequestThatFailsTheWholeBatchEndsUpFailingAlone() {
        executor.poison = Set.of("r5");
        var b = batcherOnFakeNanos(config().maxBatchRows(8).maxDelay(HOUR));

        List<CompletableFuture<Prediction>> f = oneBatchOf(b, 8);

        assertThat(f.get(5).join().errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        for (int i = 0; i < 8; i++) {
            if (i != 5) {
                assertThat(f.get(i).join().isSuccess()).as("r%d", i).isTrue();
            }
        }
        assertThat(executor.batches()).containsExactly(List.of("x"),
                List.of("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"),
                List.of("r0", "r1", "r2", "r3"), List.of("r4", "r5", "r6", "r7"),
                List.of("r4", "r5"), List.of("r4"), List.of("r5"), List.of("r6", "r7"));
        assertThat(listener.isolationRetries).containsExactly(4, 4, 2, 1, 1, 2);
    }

    @Test
    void aPoisonousRequestThatMakesTheExecutorThrowEndsUpFailingAlone() {
        executor.poison = Set.of("r2");
        executor.throwOnPoison = true;
        var b = batcherOnFakeNanos(config().maxBatchRows(8).maxDelay(HOUR));

        List<CompletableFuture<Prediction>> f = oneBatchOf(b, 8);

        Prediction poisoned = f.get(2).join();
        assertThat(poisoned.errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(poisoned.error()).contains("forward failed: poisoned batch");
        assertThat(f).filteredOn(x -> x != f.get(2)).allSatisfy(x -> assertThat(x.join().isSuccess()).isTrue());
        assertThat(listener.isolationRetries.stream().mapToInt(Integer::intValue).sum()).isEqualTo(8 + 4 + 2);
    }

    @Test
    void whenEveryRequestFailsEachFailureIsProvenAlone() {
        executor.alwaysThrow = new IllegalStateException("model is broken");
        var b = batcherOnFakeNanos(config().maxBatchRows(4).maxDelay(HOUR));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        List<CompletableFuture<Prediction>> f = List.of(submit(b, "a"), submit(b, "c"), submit(b, "d"));
        gate.release();

        awaitAll(f);
        assertThat(outcome(x).errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(f).allSatisfy(p -> {
            assertThat(p.join().errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
            assertThat(p.join().error()).contains("model is broken");
        });
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "c", "d"), List.of("a"),
                List.of("c", "d"), List.of("c"), List.of("d"));
    }

    @Test
    void invalidInputIsDecidedPerRequestAndNotRetried() {
        executor.invalid = Set.of("r1", "r3");
        var b = batcherOnFakeNanos(config().maxBatchRows(8).maxDelay(HOUR));

        List<CompletableFuture<Prediction>> f = oneBatchOf(b, 4);

        assertThat(f.get(1).join().errorCode()).isEqualTo(ErrorCode.INVALID_INPUT);
        assertThat(f.get(3).join().errorCode()).isEqualTo(ErrorCode.INVALID_INPUT);
        assertThat(f.get(0).join().isSuccess()).isTrue();
        assertThat(f.get(2).join().isSuccess()).isTrue();
        assertThat(listener.isolationRetries).isEmpty();
        assertThat(executor.batches()).hasSize(2);
    }

    @Test
    void aSingleModelErrorInABatchIsFinal() {
        executor.failAlone = Set.of("r1");
        var b = batcherOnFakeNanos(config().maxBatchRows(8).maxDelay(HOUR));

        List<CompletableFuture<Prediction>> f = oneBatchOf(b, 3);

        assertThat(f.get(1).join().errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(f.get(0).join().isSuccess()).isTrue();
        assertThat(f.get(2).join().isSuccess()).isTrue();
        assertThat(listener.isolationRetries).isEmpty();
        assertThat(executor.batches()).hasSize(2);
    }

    @Test
    void anExecutorThatThrowsFailsItsRequestsAndTheWorkerLivesOn() {
        AtomicInteger calls = new AtomicInteger();
        BatchExecutor<InferenceRequest> flaky = batch -> {
            switch (calls.incrementAndGet()) {
                case 1:
                    throw new IllegalStateException("CUDA out of memory");
                case 2:
                    throw new StackOverflowError();
                default:
                    return List.of(Prediction.success(
                            new InferenceResponse("fake", null, batch.get(0).id(), null, List.of())));
            }
        };
        var b = new MicroBatcher<>(config().maxBatchRows(8).build(), flaky);
        try {
            Prediction first = outcome(submit(b, "a"));
            assertThat(first.errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
            assertThat(first.error()).contains("CUDA out of memory");
            Prediction second = outcome(submit(b, "c"));
            assertThat(second.errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
            assertThat(second.error()).contains("StackOverflowError");
            assertThat(outcome(submit(b, "d")).isSuccess()).isTrue();
        } finally {
            b.close();
        }
    }

    @Test
    void anExecutorReturningTheWrongNumberOfPredictionsFailsTheCall() {
        var b = new MicroBatcher<InferenceRequest>(config().build(), batch -> List.of());
        try {
            Prediction p = outcome(submit(b, "a"));
            assertThat(p.errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
            assertThat(p.error()).isEqualTo("the executor returned 0 predictions for 1 request(s)");
        } finally {
            b.close();
        }
    }

    @Test
    void aListenerThatThrowsChangesNoOutcome() {
        BatcherListener broken = new BatcherListener() {
            @Override
            public void onBatch(int requests, int rows, long cost, long modelNanos) {
                throw new IllegalStateException("metrics broke");
            }

            @Override
            public void onQueueWait(long nanos) {
                throw new IllegalStateException("metrics broke");
            }
        };
        var b = new MicroBatcher<>(config().build(), executor, broken, System::nanoTime,
                System::currentTimeMillis);
        try {
            assertThat(outcome(submit(b, "a")).isSuccess()).isTrue();
            assertThat(outcome(submit(b, "c")).isSuccess()).isTrue();
        } finally {
            b.close();
        }
    }
}
