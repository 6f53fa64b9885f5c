package io.streaminfer.flink.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.Tensor;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.records.StatusUpdate;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * The outcome recorder, keyed by request ID, in Flink's keyed harness: one final outcome per ID, statuses in order,
 * replays answered from state.
 */
class OutcomeRecorderTest {
    static final Duration TTL = Duration.ofHours(1);

    static RequestEnvelope envelope(String id, String replyTo) {
        RequestEnvelope r = new RequestEnvelope();
        r.id = id;
        r.responseId = "resp-" + id;
        r.model = "tiny-mlp";
        r.modelVersion = "1";
        r.priority = Integer.MAX_VALUE;
        r.deadlineMs = Long.MAX_VALUE;
        r.producedAt = 1_000;
        r.acceptedAt = 2_000;
        r.replyTo = replyTo;
        return r;
    }

    static Outcome accepted(String id) {
        return Outcomes.accepted(envelope(id, "bridge-1"), 2_100);
    }

    static Outcome succeeded(String id, float value) {
        RequestEnvelope r = envelope(id, "bridge-1");
        return Outcomes.success(r, new InferenceResponse("tiny-mlp", "1", r.responseId, null,
                List.of(Tensor.ofFloats("logits", new long[] {1, 1}, new float[] {value}))), 3_000);
    }

    static Outcome failed(String id) {
        return Outcomes.failure(envelope(id, "bridge-1"), ErrorCode.MODEL_ERROR, "boom", 3_500);
    }

    static Outcome replay(String id, String replyTo) {
        return Outcomes.replay(envelope(id, replyTo), 4_000);
    }

    static KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> harness() throws Exception {
        return ProcessFunctionTestHarnesses.forKeyedProcessFunction(new OutcomeRecorder(TTL), o -> o.id,
                Types.STRING);
    }

    static KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> unopened() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new OutcomeRecorder(TTL)),
                o -> o.id, Types.STRING);
    }

    static List<StatusUpdate> statuses(KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> h) {
        return SideOutputs.of(h, OutcomeRecorder.STATUS);
    }

    static String text(byte[] b) {
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void acceptedProgressPublishesOneStatusAndNoResult() throws Exception {
        try (var h = harness()) {
            h.processElement(accepted("a"), 0);
            assertThat(h.extractOutputValues()).isEmpty();
            List<StatusUpdate> s = statuses(h);
            assertThat(s).hasSize(1);
            assertThat(s.get(0).id).isEqualTo("a");
            assertThat(s.get(0).state).isEqualTo(RequestState.ACCEPTED);
            assertThat(s.get(0).model).isEqualTo("tiny-mlp");
            assertThat(s.get(0).modelVersion).isEqualTo("1");
            assertThat(s.get(0).acceptedAt).isEqualTo(2_000);
            assertThat(s.get(0).updatedAt).isEqualTo(2_100);
            assertThat(s.get(0).errorCode).isNull();
        }
    }

    @Test
    void finalSuccessPublishesResultAndOneFinalStatus() throws Exception {
        try (var h = harness()) {
            Outcome ok = succeeded("a", 1f);
            h.processElement(accepted("a"), 0);
            h.processElement(ok, 0);
            List<Outcome> out = h.extractOutputValues();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).id).isEqualTo("a");
            assertThat(out.get(0).state).isEqualTo(RequestState.SUCCEEDED);
            assertThat(out.get(0).replay).isFalse();
            assertThat(out.get(0).replyTo).isEqualTo("bridge-1");
            assertThat(out.get(0).result).isEqualTo(ok.result);
            assertThat(OipJson.parseResponse(out.get(0).result).id()).isEqualTo("resp-a");
            assertThat(statuses(h)).extracting(s -> s.state)
                    .containsExactly(RequestState.ACCEPTED, RequestState.SUCCEEDED);
            StatusUpdate last = statuses(h).get(1);
            assertThat(last.id).isEqualTo("a");
            assertThat(last.updatedAt).isEqualTo(3_000);
        }
    }

    @Test
    void finalFailureCarriesItsCodeToTheStatus() throws Exception {
        try (var h = harness()) {
            h.processElement(failed("a"), 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(o -> {
                assertThat(o.state).isEqualTo(RequestState.FAILED);
                assertThat(OipJson.isError(o.result)).isTrue();
            });
            assertThat(statuses(h)).singleElement().satisfies(s -> {
                assertThat(s.state).isEqualTo(RequestState.FAILED);
                assertThat(s.errorCode).isEqualTo(ErrorCode.MODEL_ERROR);
                assertThat(s.reason).isEqualTo("boom");
            });
        }
    }

    @Test
    void aSecondFinalIsNotPublishedButItsCallerIsAnsweredFromState() throws Exception {
        try (var h = harness()) {
            Outcome first = succeeded("a", 1f);
            h.processElement(first, 0);
            // Run again (its admission expired before its final state did): its own result must not win, but its
            // caller gets the stored one.
            Outcome second = succeeded("a", 2f);
            second.replyTo = "bridge-2";
            h.processElement(second, 0);
            Outcome third = failed("a");
            third.replyTo = "bridge-3";
            h.processElement(third, 0);
            List<Outcome> out = h.extractOutputValues();
            assertThat(out).extracting(o -> o.replyTo).containsExactly("bridge-1", "bridge-2", "bridge-3");
            assertThat(out).allSatisfy(o -> {
                assertThat(o.result).isEqualTo(first.result);
                assertThat(o.state).isEqualTo(RequestState.SUCCEEDED);
            });
            assertThat(out).extracting(o -> o.replay).containsExactly(false, true, true);
            assertThat(statuses(h)).extracting(s -> s.state).containsExactly(RequestState.SUCCEEDED);
        }
    }

    @Test
    void acceptedAfterTheFinalIsNotPublished() throws Exception {
        try (var h = harness()) {
            h.processElement(succeeded("a", 1f), 0);
            h.processElement(accepted("a"), 0);
            assertThat(h.extractOutputValues()).hasSize(1);
            // On a compacted topic the last record wins: it must stay the final one.
            assertThat(statuses(h)).extracting(s -> s.state).containsExactly(RequestState.SUCCEEDED);
        }
    }

    @Test
    void replayWhileRunningIsAnsweredWhenTheFinalComes() throws Exception {
        try (var h = harness()) {
            h.processElement(accepted("a"), 0);
            h.processElement(replay("a", "bridge-2"), 0);
            h.processElement(replay("a", "bridge-2"), 0); // the same caller again: answered once
            h.processElement(replay("a", "bridge-3"), 0);
            h.processElement(replay("a", "bridge-1"), 0); // the original's own route: its result goes there anyway
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(statuses(h)).extracting(s -> s.state).containsExactly(RequestState.ACCEPTED);
            Outcome ok = succeeded("a", 1f);
            ok.callbackUrl = "http://hooks.example/done";
            h.processElement(ok, 0);
            List<Outcome> out = h.extractOutputValues();
            assertThat(out).extracting(o -> o.replyTo).containsExactly("bridge-1", "bridge-2", "bridge-3");
            assertThat(out).extracting(o -> o.replay).containsExactly(false, true, true);
            assertThat(out).allSatisfy(o -> assertThat(o.result).isEqualTo(ok.result));
            assertThat(out).extracting(o -> o.callbackUrl).containsExactly("http://hooks.example/done", null, null);
            // One final status; the marker the waiting replays left is neither published nor a final state.
            assertThat(statuses(h)).extracting(s -> s.state)
                    .containsExactly(RequestState.ACCEPTED, RequestState.SUCCEEDED);
            // Answered once: a later replay comes from the stored final, a later final is a duplicate.
            h.processElement(replay("a", "bridge-4"), 0);
            assertThat(h.extractOutputValues()).hasSize(4).last()
                    .satisfies(o -> assertThat(o.replyTo).isEqualTo("bridge-4"));
            h.processElement(succeeded("a", 2f), 0);
            assertThat(h.extractOutputValues()).hasSize(5).allSatisfy(o -> assertThat(o.result)
                    .isEqualTo(ok.result));
        }
    }

    @Test
    void waitingReplaysLeaveProgressAloneAndSurviveSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.processElement(replay("a", "bridge-2"), 0);
            // An ACCEPTED after the replay (re-run after a restore): still published, no final state exists yet.
            h.processElement(accepted("a"), 0);
            assertThat(statuses(h)).extracting(s -> s.state).containsExactly(RequestState.ACCEPTED);
            snapshot = h.snapshot(1, 10);
        }
        try (var h = unopened()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(failed("a"), 0);
            assertThat(h.extractOutputValues()).extracting(o -> o.replyTo + ":" + o.replay + ":" + o.state)
                    .containsExactly("bridge-1:false:FAILED", "bridge-2:true:FAILED");
        }
    }

    @Test
    void replayAfterTheFinalRepublishesTheStoredResult() throws Exception {
        try (var h = harness()) {
            Outcome ok = succeeded("a", 1f);
            h.processElement(accepted("a"), 0);
            h.processElement(ok, 0);
            int statusesBefore = statuses(h).size();
            h.processElement(replay("a", "bridge-2"), 0);
            List<Outcome> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            Outcome again = out.get(1);
            assertThat(again.id).isEqualTo("a");
            assertThat(again.replay).isTrue();
            assertThat(again.replyTo).isEqualTo("bridge-2");
            assertThat(again.state).isEqualTo(RequestState.SUCCEEDED);
            assertThat(again.result).isEqualTo(ok.result);
            assertThat(again.model).isEqualTo("tiny-mlp");
            assertThat(again.modelVersion).isEqualTo("1");
            assertThat(again.finishedAt).isEqualTo(ok.finishedAt);
            assertThat(statuses(h)).hasSize(statusesBefore);
            // The stored outcome itself was not changed by the replay.
            h.processElement(replay("a", "bridge-3"), 0);
            assertThat(h.extractOutputValues()).hasSize(3);
            assertThat(h.extractOutputValues().get(2).replyTo).isEqualTo("bridge-3");
            assertThat(h.extractOutputValues().get(0).replay).isFalse();
        }
    }

    @Test
    void replayOfAFailureRepublishesTheError() throws Exception {
        try (var h = harness()) {
            h.processElement(failed("a"), 0);
            h.processElement(replay("a", "bridge-2"), 0);
            assertThat(h.extractOutputValues()).hasSize(2).last().satisfies(o -> {
                assertThat(o.replay).isTrue();
                assertThat(o.state).isEqualTo(RequestState.FAILED);
                assertThat(o.errorCode).isEqualTo(ErrorCode.MODEL_ERROR);
                assertThat(o.reason).isEqualTo("boom");
                assertThat(OipJson.isError(o.result)).isTrue();
            });
            assertThat(statuses(h)).hasSize(1);
        }
    }

    @Test
    void idsAreIndependent() throws Exception {
        try (var h = harness()) {
            h.processElement(succeeded("a", 1f), 0);
            h.processElement(accepted("b"), 0);
            h.processElement(succeeded("b", 2f), 0);
            h.processElement(replay("c", "x"), 0);
            assertThat(h.extractOutputValues()).extracting(o -> o.id).containsExactly("a", "b");
            assertThat(statuses(h)).extracting(s -> s.id + ":" + s.state)
                    .containsExactly("a:SUCCEEDED", "b:ACCEPTED", "b:SUCCEEDED");
        }
    }

    @Test
    void storedOutcomesSurviveSnapshotAndRestore() throws Exception {
        Outcome ok = succeeded("a", 1f);
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.processElement(accepted("a"), 0);
            h.processElement(ok, 0);
            h.processElement(accepted("pending"), 0);
            snapshot = h.snapshot(1L, 1L);
        }
        try (var restored = unopened()) {
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(replay("a", "bridge-9"), 0);
            restored.processElement(succeeded("a", 2f), 0);
            restored.processElement(accepted("a"), 0);
            restored.processElement(succeeded("pending", 3f), 0);
            List<Outcome> out = restored.extractOutputValues();
            // The second final of "a" is not published: its caller gets the stored result, as the replay's does.
            assertThat(out).extracting(o -> o.id + ":" + o.replay + ":" + o.replyTo)
                    .containsExactly("a:true:bridge-9", "a:true:bridge-1", "pending:false:bridge-1");
            assertThat(out.get(0).result).isEqualTo(ok.result);
            assertThat(out.get(1).result).isEqualTo(ok.result);
            assertThat(statuses(restored)).extracting(s -> s.id + ":" + s.state)
                    .containsExactly("pending:SUCCEEDED");
        }
    }

    @Test
    void aLargeResultIsKeptCompactAndItsReplayIsTheSameJson() throws Exception {
        RequestEnvelope r = envelope("big", "bridge-1");
        float[] embedding = new float[384];
        for (int i = 0; i < embedding.length; i++) {
            embedding[i] = (float) Math.sin(i) / 7f;
        }
        Outcome ok = Outcomes.success(r, new InferenceResponse("all-minilm-l6-v2", "1", r.responseId, null,
                List.of(Tensor.ofFloats("embedding", new long[] {1, 384}, embedding))), 3_000);
        assertThat(ok.stored).as("the binary form for state").isNotNull();
        assertThat(ok.stored.length).isLessThan(ok.result.length / 2);
        try (var h = harness()) {
            h.processElement(ok, 0);
            h.processElement(replay("big", "bridge-2"), 0);
            List<Outcome> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(1).replay).isTrue();
            assertThat(out.get(1).result).as("the replay is the published JSON, byte for byte")
                    .isEqualTo(ok.result);
            assertThat(out.get(1).resultHeaderLength).isEqualTo(-1);
        }
    }

    static KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> holdingAccepted(long delayMs)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new OutcomeRecorder(TTL, PublishedFinals.none(), delayMs)), o -> o.id, Types.STRING);
    }

    static List<String> published(KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> h) {
        return statuses(h).stream().map(u -> u.id + " " + u.state + (u.step == null ? "" : " " + u.step)).toList();
    }

    @Test
    void acceptedHeldBackIsLeftOutWhenTheFinalComesInTimeAndPublishedOnceDue() throws Exception {
        try (var h = holdingAccepted(100)) { // accepted(...) is stamped 2,100: due at 2,200
            h.open();
            h.setProcessingTime(2_100);
            h.processElement(accepted("fast"), 0);
            h.processElement(accepted("slow"), 0);
            assertThat(statuses(h)).as("nothing due yet").isEmpty();
            h.setProcessingTime(2_150);
            h.processElement(succeeded("fast", 1f), 0);
            assertThat(published(h)).containsExactly("fast SUCCEEDED");
            assertThat(statuses(h).get(0).acceptedAt).as("the final status says when it was accepted")
                    .isEqualTo(2_000);
            h.setProcessingTime(2_200); // the one timer fires
            assertThat(published(h)).containsExactly("fast SUCCEEDED", "slow ACCEPTED");
            h.processElement(failed("slow"), 0);
            assertThat(published(h)).containsExactly("fast SUCCEEDED", "slow ACCEPTED", "slow FAILED");
        }
    }

    @Test
    void aHeldAcceptedGoesOutBeforeAnyRunningAndSurvivesASnapshot() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = holdingAccepted(100)) {
            h.open();
            h.setProcessingTime(2_100);
            h.processElement(accepted("graph"), 0);
            Outcome running = accepted("graph");
            running.state = RequestState.RUNNING;
            running.step = "embed";
            h.processElement(running, 0);
            assertThat(published(h)).containsExactly("graph ACCEPTED", "graph RUNNING embed");
            h.processElement(accepted("waiting"), 0);
            snapshot = h.snapshot(1, 1);
        }
        try (var restored = holdingAccepted(100)) {
            restored.setup();
            restored.initializeState(snapshot);
            restored.open();
            restored.setProcessingTime(2_300);
            assertThat(published(restored)).containsExactly("waiting ACCEPTED");
        }
    }
}
