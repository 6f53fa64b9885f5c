package io.streaminfer.batching;

import static io.streaminfer.batching.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.batching.FakeExecutor.Gate;
import io.streaminfer.contract.InferenceRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Batches bounded by cost (rows × longest row, a text model's padded tokens), grouped by length, with the oldest
 * request leading; the bound on queued work. A fake model: what is tested is which requests go together.
 */
class MicroBatcherCostTest extends BatcherTestSupport {
    private static final Duration HOUR = Duration.ofHours(1);

    /** Holds the only worker with "x" so that what follows queues up, then lets everything run. */
    private List<CompletableFuture<?>> queuedBehindX(MicroBatcher<InferenceRequest> b, Runnable submitAll) {
        Gate gate = executor.holdAll();
        Submitted x = submit(b, "x");
        gate.awaitEntered(1);
        submitAll.run();
        gate.release();
        return List.of(x);
    }

    @Test
    void aBatchNeverCostsMoreThanTheBudgetAndAnOverBudgetRequestRunsAlone() {
        var b = batcherOnFakeNanos(config().maxBatchRows(64).maxBatchCost(100).maxDelay(HOUR));
        List<Submitted> all = new ArrayList<>();
        queuedBehindX(b, () -> {
            all.add(submitText(b, "a", 2, 20));  // 40
            all.add(submitText(b, "b", 1, 30));  // with a: 3 rows × 30 = 90
            all.add(submitText(b, "c", 1, 25));  // with a, b: 4 × 30 = 120 > 100: next batch
            all.add(submitText(b, "d", 3, 200)); // 600 alone: over the budget, runs alone
            all.add(submitText(b, "e", 2, 28));
        });
        awaitAll(all);

        assertThat(all).allSatisfy(f -> assertThat(f.join().isSuccess()).isTrue());
        // No grouping: arrival order, each batch within 100 unless a request is over it on its own.
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "b"), List.of("c", "e"),
                List.of("d"));
        assertThat(listener.batches).extracting(r -> r[2]).containsExactly(1L, 90L, 84L, 600L);
    }

    @Test
    void withGroupingABatchHoldsOnlyRequestsOfAboutTheLeadersLength() {
        var b = batcherOnFakeNanos(config().maxBatchRows(64).maxBatchCost(10_000).maxDelay(HOUR).grouping(true));
        List<Submitted> all = new ArrayList<>();
        queuedBehindX(b, () -> {
            all.add(submitText(b, "s1", 1, 10));
            all.add(submitText(b, "l1", 1, 200));
            all.add(submitText(b, "s2", 1, 12));
            all.add(submitText(b, "m1", 1, 60));
            all.add(submitText(b, "l2", 1, 190));
            all.add(submitText(b, "s3", 1, 15));
        });
        awaitAll(all);

        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("s1", "s2", "s3"),
                List.of("l1", "l2"), List.of("m1"));
        // Padding: each batch is padded to its own longest, not to 200.
        assertThat(listener.batches).extracting(r -> r[2]).containsExactly(1L, 45L, 400L, 60L);
    }

    @Test
    void aLongTextIsNotStarvedByShortOnesArrivingAfterIt() {
        var b = batcherOnFakeNanos(config().maxBatchRows(4).maxBatchCost(4_096).maxDelay(HOUR).grouping(true));
        List<Submitted> all = new ArrayList<>();
        queuedBehindX(b, () -> {
            for (int i = 1; i <= 8; i++) {
                all.add(submitText(b, "s" + i, 1, 10));
            }
            all.add(submitText(b, "long", 1, 250));
            for (int i = 9; i <= 16; i++) {
                all.add(submitText(b, "s" + i, 1, 10));
            }
        });
        awaitAll(all);

        // The oldest request leads each batch: "long" runs as soon as the shorts older than it have.
        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("s1", "s2", "s3", "s4"),
                List.of("s5", "s6", "s7", "s8"), List.of("long"), List.of("s9", "s10", "s11", "s12"),
                List.of("s13", "s14", "s15", "s16"));
    }

    @Test
    void aRequestThatDoesNotFitIsPassedOverForLaterOnesThatDoButLeadsOnceItIsTheOldest() {
        var b = batcherOnFakeNanos(config().maxBatchRows(8).maxDelay(HOUR));
        List<Submitted> all = new ArrayList<>();
        queuedBehindX(b, () -> {
            all.add(submitRows(b, "a", 4));
            all.add(submitRows(b, "big", 6)); // does not fit beside a
            all.add(submitRows(b, "c", 2));
            all.add(submitRows(b, "d", 2));
            all.add(submitRows(b, "e", 1));
        });
        awaitAll(all);

        assertThat(executor.batches()).containsExactly(List.of("x"), List.of("a", "c", "d"), List.of("big", "e"));
    }

    @Test
    void requestsWithoutADeadlineNeverFailForWaiting() {
        var b = batcherOnFakeNanos(config().maxBatchRows(2).maxDelay(HOUR));
        Gate gate = executor.holdAll();
        Submitted x = submit(b, "x");
        gate.awaitEntered(1);
        List<Submitted> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(submit(b, "q" + i));
        }
        nanos.addAndGet(Duration.ofDays(2).toNanos());
        epochMs.addAndGet(Duration.ofDays(2).toMillis());
        gate.release();

        awaitAll(queued);
        assertThat(queued).allSatisfy(f -> assertThat(f.join().isSuccess()).isTrue());
        assertThat(x.join().isSuccess()).isTrue();
        assertThat(queued.get(0).queueNanos()).isEqualTo(Duration.ofDays(2).toNanos());
        assertThat(listener.expired).hasValue(0);
    }

    @Test
    void awaitRoomBlocksWhileTheQueueHoldsItsBoundOfWorkAndABatchLeavingMakesRoom() throws Exception {
        // One worker, batches of at most 100, two batches of queue: 200 of queued work.
        var b = batcherOnFakeNanos(config().maxBatchRows(64).maxBatchCost(100).queueBatches(2).maxDelay(HOUR));
        Gate gate = executor.holdAll();
        Submitted x = submit(b, "x");
        gate.awaitEntered(1);
        b.awaitRoom(Work.of(1, 100, 100));
        Submitted a = submitText(b, "a", 1, 100);
        b.awaitRoom(Work.of(1, 100, 100));
        Submitted c = submitText(b, "c", 1, 100);
        assertThat(b.queuedWork()).isEqualTo(200);

        AtomicBoolean admitted = new AtomicBoolean();
        Thread submitter = new Thread(() -> {
            try {
                b.awaitRoom(Work.of(1, 50, 50));
                admitted.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        submitter.start();
        await().until(() -> submitter.getState() == Thread.State.WAITING);
        assertThat(admitted).isFalse();

        gate.release(); // x returns; the worker takes [a]: 100 of work leaves the queue
        submitter.join(10_000);
        assertThat(admitted).isTrue();
        awaitAll(List.of(x, a, c));
    }

    @Test
    void aRequestLargerThanTheWholeQueueBoundGetsInWhenTheQueueIsEmpty() throws Exception {
        var b = batcher(config().maxBatchRows(64).maxBatchCost(100).queueBatches(1));
        Work huge = Work.of(64, 256, 64 * 256);
        b.awaitRoom(huge); // returns at once: nothing is queued
        Submitted f = b.submit("huge", request("huge", 64), huge, 0, Long.MAX_VALUE);
        assertThat(outcome(f).isSuccess()).isTrue();
        assertThat(executor.batches()).containsExactly(List.of("huge"));
    }

    @Test
    void withoutACostBoundQueuedWorkCountsRows() throws Exception {
        var b = batcherOnFakeNanos(config().maxBatchRows(4).queueBatches(1).maxDelay(HOUR));
        Gate gate = executor.holdAll();
        Submitted x = submit(b, "x");
        gate.awaitEntered(1);
        Submitted a = submitText(b, "a", 3, 500); // cost is ignored: 3 rows
        assertThat(b.queuedWork()).isEqualTo(3);
        gate.release();
        awaitAll(List.of(x, a));
    }
}
