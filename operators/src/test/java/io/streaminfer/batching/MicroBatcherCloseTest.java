package io.streaminfer.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.batching.FakeExecutor.Gate;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** close(): stops the workers, leaves open futures open, refuses later submits. */
class MicroBatcherCloseTest extends BatcherTestSupport {

    @Test
    void closeStopsTheWorkersAndLeavesQueuedAndInFlightFuturesIncomplete() {
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(Duration.ofHours(1)).workers(2));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        CompletableFuture<Prediction> a = submit(b, "a"); // the free worker waits to fill a batch
        awaitWorkerWaitingToFill(b);
        List<Thread> workers = workerThreads(b);
        assertThat(workers).hasSize(2);

        b.close(); // interrupts the held call too: the fake throws, which must not reach x's caller

        assertThat(workers).noneMatch(Thread::isAlive);
        assertThat(a).isNotDone();
        assertThat(x).isNotDone();
        assertThat(executor.batches()).containsExactly(List.of("x"));
    }

    @Test
    void submitAfterCloseFailsWithInternal() {
        var b = batcher(config());
        assertThat(outcome(submit(b, "a")).isSuccess()).isTrue();
        b.close();

        Prediction p = outcome(submit(b, "c"));

        assertThat(p.errorCode()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(p.error()).isEqualTo("batcher closed");
        assertThat(workerThreads(b)).isEmpty();
    }

    @Test
    void closeTwiceIsHarmless() {
        var b = batcher(config().workers(3));
        b.close();
        b.close();
        assertThat(workerThreads(b)).isEmpty();
    }
}
