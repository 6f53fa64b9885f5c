package io.streaminfer.flink.inference.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InFlightCallsTest {
    static final class Named extends InFlightCalls.Call {
        final String name;

        Named(String name) {
            this.name = name;
        }
    }

    @Test
    void onlyTheFirstToFinishACallMayAnswerIt() {
        try (InFlightCalls<Named> calls = new InFlightCalls<>("t", 600_000, c -> { })) {
            Named a = new Named("a");
            calls.add(a);
            assertThat(calls.size()).isEqualTo(1);
            assertThat(calls.finish(a)).isTrue();
            assertThat(calls.finish(a)).isFalse();
            assertThat(a.isFinished()).isTrue();
            assertThat(calls.size()).isZero();
        }
    }

    @Test
    void theSweepGivesUpOnlyOnCallsPastTheTimeoutAndNotYetAnswered() {
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (InFlightCalls<Named> calls = new InFlightCalls<>("t", 50, c -> timedOut.add(c.name))) {
            Named answered = new Named("answered");
            Named lost = new Named("lost");
            calls.add(answered);
            calls.add(lost);
            assertThat(calls.finish(answered)).isTrue();
            await().atMost(10, TimeUnit.SECONDS).until(() -> timedOut.contains("lost"));
            assertThat(calls.finish(lost)).as("the sweep finished it: a late result must not answer").isFalse();
            assertThat(calls.size()).isZero();
            // A call added now is younger than the timeout: not given up on before its time.
            Named young = new Named("young");
            calls.add(young);
            calls.sweep();
            assertThat(young.isFinished()).isFalse();
        }
        assertThat(timedOut).containsExactly("lost");
    }

    @Test
    void laterRunsOnTheTrackersThreadAndNotAfterClose() throws InterruptedException {
        InFlightCalls<Named> calls = new InFlightCalls<>("t", 600_000, c -> { });
        CountDownLatch ran = new CountDownLatch(1);
        List<String> thread = new CopyOnWriteArrayList<>();
        assertThat(calls.later(1, () -> {
            thread.add(Thread.currentThread().getName());
            ran.countDown();
        })).isTrue();
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(thread).containsExactly("t-safety-net");
        calls.close();
        assertThat(calls.later(1, () -> { })).isFalse();
    }
}
