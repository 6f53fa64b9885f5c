package io.streaminfer.batching;

import static io.streaminfer.batching.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.batching.FakeExecutor.Gate;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.runtime.Prediction;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model call that hangs: the watchdog fails its batch with MODEL_ERROR naming itself, a new worker takes the stuck
 * one's place, and the replica goes on serving; the stuck call's late results are dropped.
 */
class MicroBatcherWatchdogTest extends BatcherTestSupport {

    @Test
    void aHangingCallFailsItsBatchAndTheReplicaGoesOnServing() {
        var b = batcher(config().maxBatchRows(8).watchdogMin(Duration.ofMillis(200)).workers(1));
        Gate hang = executor.hold(ids -> ids.contains("hangs"));
        Submitted stuck = submit(b, "hangs");
        hang.awaitEntered(1);

        Prediction p = outcome(stuck);
        assertThat(p.errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(p.error()).startsWith("watchdog: the model call of 1 request(s) (1 rows, cost 1) did not return "
                + "within its budget of 200 ms");
        assertThat(listener.watchdog).containsExactly(1);
        assertThat(b.stuckCalls()).isEqualTo(1);

        // The only worker is stuck, yet the replica serves: a replacement took its place.
        assertThat(outcome(submit(b, "after")).isSuccess()).isTrue();
        assertThat(b.failure()).isNull();

        hang.release(); // the stuck call returns late: its result is dropped, its thread ends
        await().until(() -> b.stuckCalls() == 0);
        assertThat(stuck.join().errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(outcome(submit(b, "later")).isSuccess()).isTrue();
        await().until(() -> workerThreads(b).stream().filter(Thread::isAlive).count() == 1);
    }

    @Test
    void theWatchdogFailsEveryRequestOfTheBatchThatHasNoOutcomeYet() {
        var b = batcherOnFakeNanos(config().maxBatchRows(8).maxDelay(Duration.ofHours(1))
                .watchdogMin(Duration.ofMillis(200)));
        Gate first = executor.hold(ids -> ids.equals(List.of("x")));
        Submitted x = submit(b, "x");
        first.awaitEntered(1);
        Gate hang = executor.hold(ids -> ids.contains("b"));
        List<Submitted> batch = List.of(submit(b, "a"), submit(b, "b"), submit(b, "c"));
        first.release();

        awaitAll(batch);
        assertThat(batch).allSatisfy(f -> assertThat(f.join().error()).startsWith("watchdog:"));
        assertThat(listener.watchdog).containsExactly(3);
        assertThat(x.join().isSuccess()).isTrue();
        hang.release();
    }

    @Test
    void pastMaxStuckCallsTheBatcherReportsItselfBroken() {
        var b = batcher(config().maxBatchRows(1).watchdogMin(Duration.ofMillis(100)).workers(1).maxStuckCalls(1));
        Gate hang = executor.hold(ids -> ids.get(0).startsWith("hangs"));
        assertThat(outcome(submit(b, "hangs-1")).error()).startsWith("watchdog:");
        assertThat(b.failure()).isNull();
        assertThat(outcome(submit(b, "hangs-2")).error()).startsWith("watchdog:");

        assertThat(b.failure()).isEqualTo("2 model call(s) of " + b.config().name() + " are stuck past their "
                + "watchdog budget (more than maxStuckCalls = 1); the replica needs a restart");
        hang.release();
    }

    @Test
    void callsWithinTheirBudgetAreLeftAlone() {
        var b = batcher(config().maxBatchRows(8).watchdogMin(Duration.ofSeconds(30)));
        for (int i = 0; i < 20; i++) {
            assertThat(outcome(submit(b, "r" + i)).isSuccess()).isTrue();
        }
        assertThat(listener.watchdog).isEmpty();
        assertThat(b.stuckCalls()).isZero();
    }

    @Test
    void aZeroMinimumTurnsTheWatchdogOff() {
        var b = batcher(config().watchdogMin(Duration.ZERO));
        Gate hang = executor.holdAll();
        Submitted f = submit(b, "slow");
        hang.awaitEntered(1);
        assertThat(workerThreadsNamed(b.config().name() + "-watchdog")).isEmpty();
        hang.release();
        assertThat(outcome(f).isSuccess()).isTrue();
    }

    private static List<Thread> workerThreadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).toList();
    }
}
