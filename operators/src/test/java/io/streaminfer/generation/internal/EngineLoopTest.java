package io.streaminfer.generation.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.generation.EngineConfig;
import io.streaminfer.generation.EngineListener;
import io.streaminfer.generation.FakeDecoder;
import io.streaminfer.generation.FinishReason;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.generation.GenerationResult;
import io.streaminfer.generation.SamplingParams;
import io.streaminfer.generation.TokenDelta;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The engine's scheduling, driven one step at a time on a fake decoder: when sequences are admitted, what each model
 * call holds, and in what order sequences end. The fake's tokens depend only on a row's own history, so a sequence
 * decodes the same alone or in any batch.
 */
class EngineLoopTest {
    private static final int VOCAB = 64;
    private final FakeDecoder model = new FakeDecoder(VOCAB, 512, 100);
    private final List<TokenDelta> deltas = new ArrayList<>();
    private final AtomicLong millis = new AtomicLong(1_000);
    private final AtomicLong nanos = new AtomicLong();
    private long arrival;

    private EngineLoop loop(EngineConfig.Builder config) {
        return new EngineLoop(model, FakeDecoder.byteText(VOCAB), config.build(), deltas::addAll,
                EngineListener.NONE, () -> nanos.addAndGet(1_000), millis::get);
    }

    private Sequence sequence(String id, int promptLength, SamplingParams params) {
        return sequence(GenerationRequest.builder(id, prompt(id, promptLength), params).stream(true).build());
    }

    private Sequence sequence(GenerationRequest r) {
        return new Sequence(r, ++arrival, nanos.get(), r.params().seed().orElse(42));
    }

    /** A prompt whose first token tells the sequences apart (the fake keys end-of-sequence on it). */
    private static int[] prompt(String id, int length) {
        int[] p = new int[length];
        p[0] = 1 + Math.floorMod(id.hashCode(), VOCAB - 1);
        for (int i = 1; i < length; i++) {
            p[i] = 1 + (i % (VOCAB - 1));
        }
        return p;
    }

    private static SamplingParams greedy(int maxTokens) {
        return SamplingParams.builder().maxTokens(maxTokens).temperature(0).build();
    }

    private static void run(EngineLoop loop, int maxSteps) {
        for (int i = 0; i < maxSteps && !loop.idle(); i++) {
            loop.step();
        }
        assertThat(loop.idle()).as("all sequences ended within " + maxSteps + " steps").isTrue();
    }

    @Test
    void sequencesAreAdmittedOnlyAtStepBoundaries() {
        EngineLoop loop = loop(EngineConfig.builder());
        Sequence a = sequence("a", 5, greedy(4));
        loop.add(a);
        assertThat(model.calls).as("nothing runs before a step").isEmpty();
        assertThat(loop.waitingCount()).isEqualTo(1);

        loop.step();
        assertThat(model.calls).containsExactly(new FakeDecoder.Call(true, 1, 5));
        Sequence b = sequence("b", 3, greedy(4));
        loop.add(b);
        assertThat(loop.waitingCount()).as("b waits for the next boundary").isEqualTo(1);
        assertThat(loop.runningCount()).isEqualTo(1);

        loop.step(); // a decodes its second token; b is admitted and prefilled, and joins the batch after
        assertThat(model.calls.subList(1, 3)).containsExactly(new FakeDecoder.Call(false, 1, 1),
                new FakeDecoder.Call(true, 1, 3));
        loop.step();
        assertThat(model.calls.get(3)).isEqualTo(new FakeDecoder.Call(false, 2, 2));
        run(loop, 20);
        assertThat(a.result.join().completionTokens()).isEqualTo(4);
        assertThat(b.result.join().finish()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void aShortRequestArrivingWhileLongOnesRunFinishesFirst() {
        EngineLoop loop = loop(EngineConfig.builder().maxRunning(8));
        List<Sequence> longOnes = IntStream.range(0, 3).mapToObj(i -> sequence("long" + i, 20, greedy(60)))
                .collect(Collectors.toList());
        longOnes.forEach(loop::add);
        for (int i = 0; i < 10; i++) {
            loop.step();
        }
        Sequence shortOne = sequence("short", 4, greedy(5));
        loop.add(shortOne);
        long stepsBefore = loop.steps();
        while (!shortOne.result.isDone()) {
            loop.step();
        }
        assertThat(loop.steps() - stepsBefore).as("admitted at the next step, then 5 tokens").isEqualTo(5);
        assertThat(longOnes).noneMatch(s -> s.result.isDone());
        run(loop, 100);
        assertThat(longOnes).allMatch(s -> s.result.join().completionTokens() == 60);
    }

    @Test
    void runningSequencesAndStepTokensStayWithinTheirBudgets() {
        EngineLoop loop = loop(EngineConfig.builder().maxRunning(4).stepTokens(32).minPrefillTokens(4));
        for (int i = 0; i < 12; i++) {
            loop.add(sequence("s" + i, 10 + 7 * i, greedy(5 + i)));
        }
        int steps = 0;
        while (!loop.idle()) {
            int before = model.calls.size();
            loop.step();
            steps++;
            List<FakeDecoder.Call> calls = model.calls.subList(before, model.calls.size());
            int decodeRows = calls.stream().filter(c -> !c.prefill()).mapToInt(FakeDecoder.Call::rows).sum();
            int prefill = calls.stream().filter(FakeDecoder.Call::prefill).mapToInt(FakeDecoder.Call::tokens).sum();
            assertThat(decodeRows).isLessThanOrEqualTo(4);
            assertThat(loop.runningCount() + loop.prefillingCount()).isLessThanOrEqualTo(4);
            assertThat(prefill).as("prefill within what decoding left of the step, or the minimum")
                    .isLessThanOrEqualTo(Math.max(32 - decodeRows, 4));
            assertThat(steps).isLessThan(500);
        }
    }

    @Test
    void theKeyValueReservationHoldsAndTheHeadIsNeverOvertaken() {
        // 100 bytes a token; worst case rows × (longest + 1) × 100 must stay within 10,000: at most 2 rows of 40.
        EngineLoop loop = loop(EngineConfig.builder().maxRunning(8).kvCacheBytes(10_000));
        Sequence small1 = sequence("small1", 10, greedy(10));
        Sequence big = sequence("big", 30, greedy(30)); // 60 positions: it runs alone (61 × 100 > 5,000)
        Sequence small2 = sequence("small2", 10, greedy(10));
        Sequence small3 = sequence("small3", 10, greedy(10));
        loop.add(small1);
        loop.add(big);
        loop.add(small2);
        loop.add(small3);
        List<String> order = new ArrayList<>();
        for (Sequence s : List.of(big, small1, small2, small3)) {
            s.result.thenAccept(r -> order.add(r.id()));
        }
        while (!loop.idle()) {
            loop.step();
            assertThat(loop.cacheBytes()).isLessThanOrEqualTo(10_000);
        }
        // small1 runs; big (head) waits for it, and small2/small3 do not overtake big.
        assertThat(order).containsExactly("small1", "big", "small2", "small3");
    }

    @Test
    void aLongPromptIsPrefilledInChunksWhileTheRunningOnesKeepDecoding() {
        EngineLoop loop = loop(EngineConfig.builder().maxRunning(4).stepTokens(16).minPrefillTokens(4));
        Sequence running = sequence("running", 3, greedy(200));
        loop.add(running);
        loop.step();
        loop.step();
        Sequence longPrompt = sequence("long-prompt", 300, greedy(3));
        loop.add(longPrompt);
        int tokensBefore = running.completionLength();
        int steps = 0;
        while (!longPrompt.result.isDone()) {
            int before = model.calls.size();
            loop.step();
            steps++;
            List<FakeDecoder.Call> calls = model.calls.subList(before, model.calls.size());
            assertThat(calls).filteredOn(FakeDecoder.Call::prefill)
                    .allMatch(c -> c.tokens() <= 15, "a prefill chunk within the step's budget");
        }
        assertThat(running.completionLength() - tokensBefore).as("one token a step, prefill or not")
                .isEqualTo(steps);
    }

    @Test
    void cancelFreesASlotAtTheNextStep() {
        EngineLoop loop = loop(EngineConfig.builder().maxRunning(2));
        Sequence a = sequence("a", 4, greedy(100));
        Sequence b = sequence("b", 4, greedy(100));
        Sequence c = sequence("c", 4, greedy(3));
        loop.add(a);
        loop.add(b);
        loop.add(c);
        loop.step();
        loop.step();
        assertThat(loop.waitingCount()).isEqualTo(1);
        assertThat(loop.cancel("a", FinishReason.CANCELLED)).isTrue();
        loop.step();
        assertThat(a.result).isDone();
        assertThat(a.result.join().finish()).isEqualTo(FinishReason.CANCELLED);
        assertThat(a.result.join().completionTokens()).isEqualTo(2);
        assertThat(loop.waitingCount()).as("c admitted in the step that followed the cancel").isZero();
        TokenDelta last = deltas.stream().filter(d -> d.id().equals("a")).reduce((x, y) -> y).orElseThrow();
        assertThat(last.finish()).isEqualTo(FinishReason.CANCELLED);
    }

    @Test
    void theSameSeedGivesTheSameTokensAloneAndInAnyBatch() {
        model.peaked = false;
        SamplingParams sampled = SamplingParams.builder().maxTokens(30).temperature(0.9).topP(0.9).topK(20)
                .seed(1234).build();
        EngineLoop alone = loop(EngineConfig.builder());
        Sequence solo = sequence(GenerationRequest.builder("x", prompt("x", 7), sampled).build());
        alone.add(solo);
        run(alone, 100);

        EngineLoop crowded = loop(EngineConfig.builder().maxRunning(8));
        for (int i = 0; i < 5; i++) {
            crowded.add(sequence("other" + i, 3 + i, SamplingParams.builder().maxTokens(10 + i).seed(i).build()));
        }
        crowded.step();
        crowded.step();
        Sequence again = sequence(GenerationRequest.builder("x", prompt("x", 7), sampled).build());
        crowded.add(again);
        run(crowded, 100);

        assertThat(again.result.join().tokens()).containsExactly(solo.result.join().tokens());
        Sequence otherSeed = sequence(GenerationRequest.builder("x", prompt("x", 7),
                sampled.toBuilder().seed(99).build()).build());
        EngineLoop third = loop(EngineConfig.builder());
        third.add(otherSeed);
        run(third, 100);
        assertThat(otherSeed.result.join().tokens()).isNotEqualTo(solo.result.join().tokens());
    }

    @Test
    void aPoisonedSequenceFailsAloneAndTheOthersGoOn() {
        EngineLoop loop = loop(EngineConfig.builder().maxRunning(8));
        List<Sequence> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Sequence s = sequence("s" + i, 5, greedy(12));
            all.add(s);
            loop.add(s);
        }
        loop.step();
        loop.step();
        // Poison the token one row is about to be fed: the batched step fails, each row runs alone.
        model.poison = all.get(2).lastToken;
        long sameToken = all.stream().filter(s -> s.lastToken == model.poison).count();
        loop.step();
        model.poison = -1;
        run(loop, 50);
        assertThat(all.get(2).result.join().finish()).isEqualTo(FinishReason.ERROR);
        assertThat(all.get(2).result.join().error()).contains("poisoned");
        assertThat(all).filteredOn(s -> s.result.join().finish() == FinishReason.LENGTH).hasSize(4 - (int) sameToken);
    }

    @Test
    void aDeadlineEndsASequenceMidGenerationWithTheTextSoFar() {
        EngineLoop loop = loop(EngineConfig.builder());
        Sequence s = sequence(GenerationRequest.builder("d", prompt("d", 4), greedy(100)).stream(true)
                .deadlineMs(millis.get() + 50).build());
        Sequence waiting = sequence(GenerationRequest.builder("w", prompt("w", 4), greedy(5)).stream(true)
                .deadlineMs(millis.get() + 50).build());
        loop.add(s);
        for (int i = 0; i < 5; i++) {
            loop.step();
        }
        millis.addAndGet(51);
        loop.add(waiting);
        loop.step();
        GenerationResult r = s.result.join();
        assertThat(r.finish()).isEqualTo(FinishReason.EXPIRED);
        assertThat(r.completionTokens()).isEqualTo(5);
        assertThat(joinedText("d")).isEqualTo(r.text());
        assertThat(waiting.result.join().finish()).isEqualTo(FinishReason.EXPIRED);
        assertThat(waiting.result.join().completionTokens()).as("expired in the queue: no model time").isZero();
    }

    @Test
    void endOfSequenceEndsItUnlessMinTokensOrIgnoreEosSayOtherwise() {
        EngineLoop loop = loop(EngineConfig.builder());
        int[] p = prompt("e", 4);
        model.eosAt.put(p[0], 6); // end-of-sequence is the top choice from position 6 (the 3rd new token) on
        Sequence plain = sequence(GenerationRequest.builder("e1", p, greedy(20)).build());
        Sequence min = sequence(GenerationRequest.builder("e2", p,
                SamplingParams.builder().maxTokens(20).temperature(0).minTokens(8).build()).build());
        Sequence ignore = sequence(GenerationRequest.builder("e3", p,
                SamplingParams.builder().maxTokens(20).temperature(0).ignoreEos(true).build()).build());
        loop.add(plain);
        loop.add(min);
        loop.add(ignore);
        run(loop, 50);
        assertThat(plain.result.join().finish()).isEqualTo(FinishReason.STOP);
        assertThat(plain.result.join().completionTokens()).isEqualTo(3);
        assertThat(min.result.join().finish()).isEqualTo(FinishReason.STOP);
        assertThat(min.result.join().completionTokens()).isEqualTo(9);
        assertThat(ignore.result.join().finish()).isEqualTo(FinishReason.LENGTH);
        assertThat(ignore.result.join().completionTokens()).isEqualTo(20);
    }

    @Test
    void deltasOfAStreamHaveNoGapsAndJoinToTheResultsText() {
        EngineLoop loop = loop(EngineConfig.builder().maxRunning(3));
        List<Sequence> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Sequence s = sequence("t" + i, 3 + i, SamplingParams.builder().maxTokens(8 + 3 * i).seed(i)
                    .stop(List.of("\u0010\u0011")).build());
            all.add(s);
            loop.add(s);
        }
        run(loop, 200);
        Map<String, List<TokenDelta>> byId = new HashMap<>();
        deltas.forEach(d -> byId.computeIfAbsent(d.id(), k -> new ArrayList<>()).add(d));
        for (Sequence s : all) {
            List<TokenDelta> ds = byId.get(s.id());
            assertThat(ds).extracting(TokenDelta::seq).containsExactlyElementsOf(
                    IntStream.range(0, ds.size()).boxed().collect(Collectors.toList()));
            assertThat(ds.subList(0, ds.size() - 1)).allMatch(d -> !d.isLast());
            assertThat(ds.get(ds.size() - 1).isLast()).isTrue();
            assertThat(joinedText(s.id())).isEqualTo(s.result.join().text());
            assertThat(ds.stream().mapToInt(d -> d.tokens().length).sum())
                    .isEqualTo(s.result.join().completionTokens());
        }
    }

    @Test
    void aResumedSequenceContinuesAfterWhatWasPublished() {
        SamplingParams params = SamplingParams.builder().maxTokens(12).seed(5).temperature(0.7).build();
        model.peaked = false;
        EngineLoop first = loop(EngineConfig.builder());
        Sequence original = sequence(GenerationRequest.builder("r", prompt("r", 6), params).stream(true).build());
        first.add(original);
        run(first, 100);
        List<TokenDelta> published = new ArrayList<>(deltas);
        // A failover after the first 3 deltas: they were read; the rest is to come from the re-run.
        List<TokenDelta> seen = published.subList(0, 3);
        int[] seenTokens = seen.stream().flatMapToInt(d -> IntStream.of(d.tokens())).toArray();
        deltas.clear();
        EngineLoop second = loop(EngineConfig.builder());
        Sequence resumed = sequence(GenerationRequest.builder("r", prompt("r", 6), params).stream(true)
                .resume(GenerationRequest.Resume.of(seenTokens, 3)).build());
        second.add(resumed);
        run(second, 100);
        assertThat(deltas.get(0).seq()).isEqualTo(3);
        String seenText = seen.stream().map(TokenDelta::text).collect(Collectors.joining());
        assertThat(seenText + joinedText("r")).isEqualTo(resumed.result.join().text());
        assertThat(resumed.result.join().tokens()).containsExactly(original.result.join().tokens());
    }

    private String joinedText(String id) {
        return deltas.stream().filter(d -> d.id().equals(id)).map(TokenDelta::text).collect(Collectors.joining());
    }
}
