package io.streaminfer.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static io.streaminfer.batching.Waits.await;

import io.streaminfer.batching.FakeExecutor.Gate;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * When batches close, what they hold, and in what order. Tests that must show a batch did not close use the fake
 * nano clock (time only moves when the test moves it) or a limit that is reached on purpose.
 */
class MicroBatcherTest extends BatcherTestSupport {
    private static final Duration HOUR = Duration.ofHours(1);

    @Test
    void batchRowsNeverExceedTheLimitAndAnOversizedRequestRunsAlone() {
        var b = batcherOnFakeNanos(config().maxBatchRows(4).maxDelay(HOUR));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        List<CompletableFuture<Prediction>> all = List.of(x, submitRows(b, "a", 2), submitRows(b, "b", 1),
                submitRows(b, "c", 2), submitRows(b, "d", 5), submitRows(b, "e", 1), submitRows(b, "f", 3));
        gate.release();

        awaitAll(all);
        assertThat(all).allSatisfy(f -> assertThat(f.join().isSuccess()).isTrue());
        // c (2) and d (5) do not fit beside [a, b], e does; d alone has 5 > 4 rows and runs alone; f fits nowhere.
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "b", "e"), List.of("c"),
                List.of("d"), List.of("f"));
        assertThat(listener.batches).extracting(r -> r[1]).containsExactly(1L, 4L, 2L, 5L, 3L);
    }

    @ParameterizedTest(name = "workers={0}")
    @ValueSource(ints = {1, 2})
    void aLoneRequestOnAnIdleReplicaRunsAtOnceDespiteAnHourOfMaxDelay(int workers) {
        // The fake nano clock never moves, so no delay can ever pass: only the idle rule can dispatch.
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(HOUR).workers(workers));

        assertThat(outcome(submit(b, "a")).isSuccess()).isTrue();
        assertThat(outcome(submit(b, "b")).isSuccess()).isTrue();

        assertThat(executor.batches()).containsExactly(List.of("a"), List.of("b"));
    }

    @Test
    void whatQueuesWhileTheOnlyWorkerIsBusyFormsTheNextBatch() {
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(HOUR).workers(1));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        List<CompletableFuture<Prediction>> all = List.of(x, submit(b, "a"), submit(b, "b"), submit(b, "c"));
        gate.release();

        awaitAll(all);
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "b", "c"));
    }

    @Test
    void withAnotherWorkerBusyAFreeWorkerWaitsUntilTheBatchIsFull() {
        var b = batcherOnFakeNanos(config().maxBatchRows(3).maxDelay(HOUR).workers(2));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);

        CompletableFuture<Prediction> a = submit(b, "a");
        awaitWorkerWaitingToFill(b);
        assertThat(executor.batches()).containsExactly(List.of("x"));
        assertThat(a).isNotDone();
        CompletableFuture<Prediction> c = submitRows(b, "c", 2); // 3 rows: full

        gate.awaitEntered(2);
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "c"));
        gate.release();
        awaitAll(List.of(x, a, c));
    }

    @Test
    void withAnotherWorkerBusyAFreeWorkerDispatchesOnceTheOldestRequestHasWaitedMaxDelay() {
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(Duration.ofMillis(10)).workers(2));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);

        CompletableFuture<Prediction> a = submit(b, "a");
        awaitWorkerWaitingToFill(b);
        nanos.addAndGet(Duration.ofMillis(6).toNanos());
        CompletableFuture<Prediction> c = submit(b, "c");
        // Fake time stands at 6 of 10 ms however long this takes, so nothing may have been dispatched.
        awaitWorkerWaitingToFill(b);
        assertThat(executor.batches()).containsExactly(List.of("x"));

        nanos.addAndGet(Duration.ofMillis(4).toNanos()); // a has waited 10 ms now
        gate.awaitEntered(2);
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "c"));
        gate.release();
        awaitAll(List.of(x, a, c));
    }

    @Test
    void withZeroMaxDelayAFreeWorkerDispatchesAtOnceEvenWhileAnotherIsBusy() {
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(Duration.ZERO).workers(2));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);

        CompletableFuture<Prediction> a = submit(b, "a");
        gate.awaitEntered(2);
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a"));
        gate.release();
        awaitAll(List.of(x, a));
    }

    @Test
    void lowerPriorityValuesRunFirstWithinAndAcrossBatchesTiesInArrivalOrder() {
        var b = batcherOnFakeNanos(config().maxBatchRows(2).maxDelay(HOUR));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        List<CompletableFuture<Prediction>> all = List.of(x,
                submitPriority(b, "a", 5),
                submitPriority(b, "b", 1),
                submitPriority(b, "c", 3),
                submitPriority(b, "d", 1),
                submitPriority(b, "e", 9));
        gate.release();

        awaitAll(all);
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("b", "d"), List.of("c", "a"),
                List.of("e"));
    }

    @Test
    void aRequestWhoseDeadlinePassedInTheQueueFailsWithoutRunning() {
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(HOUR));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        CompletableFuture<Prediction> late = submitDeadline(b, "late", epochMs.get() + 100);
        CompletableFuture<Prediction> none = submit(b, "none");
        CompletableFuture<Prediction> later = submitDeadline(b, "later", epochMs.get() + 10_000);
        epochMs.addAndGet(500);
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        gate.release();

        awaitAll(List.of(x, late, none, later));
        Prediction p = late.join();
        assertThat(p.errorCode()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
        assertThat(p.error()).isEqualTo("deadline passed after waiting 500 ms in the queue; the model was not run");
        assertThat(none.join().isSuccess()).isTrue();
        assertThat(later.join().isSuccess()).isTrue();
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("none", "later"));
        assertThat(listener.expired).hasValue(1);
        assertThat(listener.queueWaits).hasValue(4);
    }

    @Test
    void aCancelledRequestLeavesTheQueueAndNeverRuns() {
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(HOUR));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        CompletableFuture<Prediction> a = submit(b, "a");
        CompletableFuture<Prediction> c = submit(b, "c");
        CompletableFuture<Prediction> d = submit(b, "d");
        assertThat(b.queuedRequests()).isEqualTo(3);

        assertThat(c.cancel(false)).isTrue();
        assertThat(b.queuedRequests()).isEqualTo(2);
        gate.release();

        awaitAll(List.of(x, a, d));
        assertThat(c).isCancelled();
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "d"));
    }

    @Test
    void cancellingTheOnlyQueuedRequestLetsAWaitingWorkerGoBackToIdle() {
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(HOUR).workers(2));
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        CompletableFuture<Prediction> a = submit(b, "a");
        awaitWorkerWaitingToFill(b);

        a.cancel(false);
        // With nothing queued the worker waits untimed again; no timed waiter means it recomputed.
        await().until(() -> workerThreads(b).stream().noneMatch(t -> t.getState() == Thread.State.TIMED_WAITING));
        gate.release();
        outcome(x);
        assertThat(outcome(submit(b, "y")).isSuccess()).isTrue();
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("y"));
    }

    @Test
    void successesCompleteWhileTheFailedRequestsOfTheirBatchAreStillBeingIsolated() {
        executor.failAlone = java.util.Set.of("p1", "p2");
        var b = batcherOnFakeNanos(config().maxBatchRows(4).maxDelay(HOUR));
        Gate first = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        first.awaitEntered(1);
        CompletableFuture<Prediction> a = submit(b, "a");
        CompletableFuture<Prediction> p1 = submit(b, "p1");
        CompletableFuture<Prediction> c = submit(b, "c");
        CompletableFuture<Prediction> p2 = submit(b, "p2");
        Gate rerun = executor.hold(ids -> ids.size() == 1 && ids.get(0).startsWith("p"));
        first.release();

        rerun.awaitEntered(1);
        assertThat(a.join().isSuccess()).isTrue();
        assertThat(c.join().isSuccess()).isTrue();
        assertThat(p1).isNotDone();
        assertThat(p2).isNotDone();
        rerun.release();

        assertThat(outcome(p1).errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(outcome(p2).errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(outcome(x).isSuccess()).isTrue();
        assertThat(listener.isolationRetries).containsExactly(1, 1);
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "p1", "c", "p2"),
                List.of("p1"), List.of("p2"));
    }

    @Test
    void gaugesShowQueuedRequestsAndBusyWorkers() {
        var b = batcherOnFakeNanos(config().maxBatchRows(32).maxDelay(HOUR));
        assertThat(b.busyWorkers()).isZero();
        Gate gate = executor.holdAll();
        CompletableFuture<Prediction> x = submit(b, "x");
        gate.awaitEntered(1);
        CompletableFuture<Prediction> a = submit(b, "a");
        CompletableFuture<Prediction> c = submit(b, "c");

        assertThat(b.busyWorkers()).isEqualTo(1);
        assertThat(b.queuedRequests()).isEqualTo(2);
        gate.release();
        awaitAll(List.of(x, a, c));
        await().until(() -> b.busyWorkers() == 0);
        assertThat(b.queuedRequests()).isZero();
        assertThat(listener.batches).extracting(r -> r[0]).containsExactly(1L, 2L);
        assertThat(listener.queueWaits).hasValue(3);
    }
}
