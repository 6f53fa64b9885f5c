package io.streaminfer.bridge.batch.feed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FeedWindowTest {
    private static final long MS = 1_000_000;
    private final AtomicLong clock = new AtomicLong();

    /** Rounds of answers, each {@code latencyMs} after it was sent, at the window's size. */
    private static void rounds(FeedWindow w, int rounds, long latencyMs) throws InterruptedException {
        for (int r = 0; r < rounds; r++) {
            int n = Math.max(4, w.limit());
            for (int i = 0; i < n; i++) {
                assertThat(w.acquire(1, 0) || w.inFlight() > 0).isTrue();
                w.release(1, latencyMs * MS);
            }
        }
    }

    @Test
    void growsWhileLinesComeBackAtTheLatencyOfAnEmptyQueue() throws InterruptedException {
        FeedWindow w = new FeedWindow(2, 256, 2.0, clock::get);
        rounds(w, 60, 20);
        assertThat(w.limit()).isEqualTo(256);
    }

    @Test
    void shrinksWhenTheLinesQueueAndStopsAtItsBounds() throws InterruptedException {
        FeedWindow w = new FeedWindow(2, 64, 2.0, clock::get);
        rounds(w, 40, 20);
        assertThat(w.limit()).isEqualTo(64);
        rounds(w, 3, 100); // five times the empty queue's latency: online calls took the model, or too much queued
        assertThat(w.limit()).isLessThan(64);
        rounds(w, 40, 100);
        assertThat(w.limit()).isEqualTo(2);
    }

    @Test
    void aFewSlowAnswersInARoundDoNotShrinkIt() throws InterruptedException {
        FeedWindow w = new FeedWindow(2, 64, 2.0, clock::get);
        for (int r = 0; r < 60; r++) {
            int n = Math.max(4, w.limit());
            for (int i = 0; i < n; i++) {
                w.acquire(1, 0);
                w.release(1, (i % 4 == 0 ? 500 : 20) * MS); // a quarter of the answers slow: a busy machine
            }
        }
        assertThat(w.limit()).isEqualTo(64);
    }

    @Test
    void theLowestLatencyDriftsUpSoASlowerModelIsNotMistakenForAQueue() throws InterruptedException {
        FeedWindow w = new FeedWindow(2, 64, 2.0, clock::get);
        rounds(w, 2, 10);
        long base = w.baseLatencyNanos();
        clock.addAndGet(FeedWindow.DRIFT_PERIOD_NANOS);
        rounds(w, 1, 50);
        assertThat(w.baseLatencyNanos()).isGreaterThan(base);
    }

    @Test
    void acquireWaitsForRoomAndALineLargerThanTheWindowGoesAlone() throws InterruptedException {
        FeedWindow w = new FeedWindow(2, 8, 2.0, clock::get);
        assertThat(w.acquire(2, 0)).isTrue();
        assertThat(w.acquire(1, 10)).as("full").isFalse();
        Thread releaser = new Thread(() -> w.release(2, MS));
        releaser.start();
        assertThat(w.acquire(1, 10_000)).isTrue();
        releaser.join();
        w.forget(1);
        assertThat(w.inFlight()).isZero();
        assertThat(w.acquire(50, 0)).as("alone, when nothing is in flight").isTrue();
        assertThat(w.acquire(1, 0)).isFalse();
    }
}
