package io.streaminfer.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The engine's thread, inbox and cancels on a fake decoder (the step logic itself: EngineLoopTest). */
class GenerationEngineTest {
    private static final int VOCAB = 64;

    private static GenerationRequest request(String id, int promptLength, int maxTokens) {
        int[] prompt = new int[promptLength];
        for (int i = 0; i < promptLength; i++) {
            prompt[i] = 1 + (i * 5 + id.hashCode() & 31);
        }
        return GenerationRequest.builder(id, prompt,
                SamplingParams.builder().maxTokens(maxTokens).temperature(0).build()).stream(true).build();
    }

    @Test
    void concurrentSubmissionsAllEndWithTheirTokensStreamedInOrder() throws Exception {
        List<TokenDelta> deltas = new CopyOnWriteArrayList<>();
        try (GenerationEngine engine = new GenerationEngine(new FakeDecoder(VOCAB, 512, 10),
                FakeDecoder.byteText(VOCAB), EngineConfig.builder().maxRunning(4).build(), deltas::addAll,
                EngineListener.NONE)) {
            List<CompletableFuture<GenerationResult>> all = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 10; i++) {
                        try {
                            engine.awaitRoom();
                        } catch (InterruptedException e) {
                            return;
                        }
                        CompletableFuture<GenerationResult> f = engine.submit(request("r" + thread + "-" + i,
                                3 + i, 5 + 3 * i));
                        synchronized (all) {
                            all.add(f);
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
            for (CompletableFuture<GenerationResult> f : all) {
                GenerationResult r = f.join();
                assertThat(r.finish()).isEqualTo(FinishReason.LENGTH);
                List<TokenDelta> mine = deltas.stream().filter(d -> d.id().equals(r.id())).toList();
                assertThat(mine).extracting(TokenDelta::seq).isSorted().doesNotHaveDuplicates();
                assertThat(String.join("", mine.stream().map(TokenDelta::text).toList())).isEqualTo(r.text());
            }
            assertThat(all).hasSize(40);
        }
    }

    @Test
    void aCancelEndsARunningSequenceWithItsTextSoFar() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        try (GenerationEngine engine = new GenerationEngine(new FakeDecoder(VOCAB, 100_000, 1),
                FakeDecoder.byteText(VOCAB), EngineConfig.builder().build(), d -> started.countDown(),
                EngineListener.NONE)) {
            CompletableFuture<GenerationResult> f = engine.submit(request("long", 4, 50_000));
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(engine.cancel("long")).isTrue();
            GenerationResult r = f.get(10, TimeUnit.SECONDS);
            assertThat(r.finish()).isEqualTo(FinishReason.CANCELLED);
            assertThat(r.completionTokens()).isBetween(1, 49_999);
            assertThat(engine.cancel("long")).as("ended: nothing left to cancel").isFalse();
        }
    }

    @Test
    void aModelCallPastTheWatchdogFailsTheEngineAndItsSequences() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeDecoder stuck = new FakeDecoder(VOCAB, 512, 1) {
            @Override
            public float[] extend(Cache single, int[] tokens, int start) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.extend(single, tokens, start);
            }
        };
        try (GenerationEngine engine = new GenerationEngine(stuck, FakeDecoder.byteText(VOCAB),
                EngineConfig.builder().watchdog(Duration.ofMillis(200)).build(), GenerationListener.NONE,
                EngineListener.NONE)) {
            GenerationResult r = engine.submit(request("stuck", 4, 10)).get(10, TimeUnit.SECONDS);
            assertThat(r.finish()).isEqualTo(FinishReason.ERROR);
            assertThat(r.error()).contains("watchdog");
            assertThat(engine.failure()).contains("watchdog");
            assertThatThrownBy(() -> engine.submit(request("after", 4, 10)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("failed");
            release.countDown();
        }
    }
}
