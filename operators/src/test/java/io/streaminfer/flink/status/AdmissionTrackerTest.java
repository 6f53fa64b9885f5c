package io.streaminfer.flink.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.RequestEnvelope;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** The admission step, keyed by request ID, in Flink's keyed harness: each ID is admitted once. */
class AdmissionTrackerTest {
    static final Duration TTL = Duration.ofHours(1);

    static RequestEnvelope envelope(String id, String replyTo) {
        RequestEnvelope r = new RequestEnvelope();
        r.id = id;
        r.responseId = "resp-" + id;
        r.model = "tiny-mlp";
        r.modelVersion = "1";
        r.prepared = new byte[] {1};
        r.priority = Integer.MAX_VALUE;
        r.deadlineMs = Long.MAX_VALUE;
        r.producedAt = 1_000;
        r.acceptedAt = 2_000;
        r.replyTo = replyTo;
        return r;
    }

    static KeyedOneInputStreamOperatorTestHarness<String, RequestEnvelope, RequestEnvelope> harness()
            throws Exception {
        return ProcessFunctionTestHarnesses.forKeyedProcessFunction(new AdmissionTracker(TTL), r -> r.id,
                Types.STRING);
    }

    /** Not yet opened, so state can be restored into it. */
    static KeyedOneInputStreamOperatorTestHarness<String, RequestEnvelope, RequestEnvelope> unopened()
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AdmissionTracker(TTL)),
                r -> r.id, Types.STRING);
    }

    /** The outcomes decided at admission: envelopes that carry one, in the order they left. */
    static List<Outcome> decided(KeyedOneInputStreamOperatorTestHarness<String, RequestEnvelope, RequestEnvelope> h) {
        return h.extractOutputValues().stream().filter(r -> r.decided != null).map(r -> r.decided).toList();
    }

    /** The requests sent on to the model. */
    static List<RequestEnvelope> admitted(
            KeyedOneInputStreamOperatorTestHarness<String, RequestEnvelope, RequestEnvelope> h) {
        return h.extractOutputValues().stream().filter(r -> r.decided == null).toList();
    }

    @Test
    void firstRequestIsAdmittedAndAccepted() throws Exception {
        try (var h = harness()) {
            long before = System.currentTimeMillis();
            h.processElement(envelope("a", "bridge-1"), 0);
            assertThat(admitted(h)).extracting(r -> r.id).containsExactly("a");
            List<Outcome> decided = decided(h);
            assertThat(decided).hasSize(1);
            Outcome o = decided.get(0);
            assertThat(o.id).isEqualTo("a");
            assertThat(o.state).isEqualTo(RequestState.ACCEPTED);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.PROGRESS);
            assertThat(o.result).isNull();
            assertThat(o.errorCode).isNull();
            assertThat(o.model).isEqualTo("tiny-mlp");
            assertThat(o.modelVersion).isEqualTo("1");
            assertThat(o.replyTo).isEqualTo("bridge-1");
            assertThat(o.producedAt).isEqualTo(1_000);
            assertThat(o.acceptedAt).isEqualTo(2_000);
            assertThat(o.finishedAt).isBetween(before, System.currentTimeMillis());
        }
    }

    @Test
    void sameIdAgainIsAReplayAndNotRunAgain() throws Exception {
        try (var h = harness()) {
            h.processElement(envelope("a", "bridge-1"), 0);
            h.processElement(envelope("a", "bridge-2"), 0);
            assertThat(admitted(h)).extracting(r -> r.id).containsExactly("a");
            List<Outcome> decided = decided(h);
            assertThat(decided).hasSize(2);
            assertThat(decided.get(0).state).isEqualTo(RequestState.ACCEPTED);
            Outcome replay = decided.get(1);
            assertThat(replay.id).isEqualTo("a");
            assertThat(replay.kind()).isEqualTo(Outcome.Kind.REPLAY);
            assertThat(replay.replyTo).isEqualTo("bridge-2");
            assertThat(replay.result).isNull();
        }
    }

    @Test
    void otherIdsAreIndependent() throws Exception {
        try (var h = harness()) {
            h.processElement(envelope("a", null), 0);
            h.processElement(envelope("b", null), 0);
            h.processElement(envelope("a", null), 0);
            assertThat(admitted(h)).extracting(r -> r.id).containsExactly("a", "b");
            assertThat(decided(h)).extracting(o -> o.id + ":" + (o.replay ? "replay" : o.state))
                    .containsExactly("a:ACCEPTED", "b:ACCEPTED", "a:replay");
        }
    }

    @Test
    void requestPastItsDeadlineExpiresWithoutRunning() throws Exception {
        try (var h = harness()) {
            RequestEnvelope late = envelope("late", "bridge-1");
            late.deadlineMs = System.currentTimeMillis() - 5_000;
            h.processElement(late, 0);
            assertThat(admitted(h)).isEmpty();
            List<Outcome> decided = decided(h);
            assertThat(decided).filteredOn(o -> o.state != null && o.state.isFinal()).singleElement()
                    .satisfies(o -> {
                        assertThat(o.id).isEqualTo("late");
                        assertThat(o.state).isEqualTo(RequestState.EXPIRED);
                        assertThat(o.errorCode).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
                        assertThat(o.kind()).isEqualTo(Outcome.Kind.FINAL);
                        assertThat(o.reason).contains("deadline");
                        assertThat(OipJson.isError(o.result)).isTrue();
                        assertThat(new String(o.result, java.nio.charset.StandardCharsets.UTF_8))
                                .contains("resp-late").contains(ErrorCode.DEADLINE_EXCEEDED.name());
                        assertThat(o.replyTo).isEqualTo("bridge-1");
                    });
            // The final outcome is the last one decided, so the status topic ends on it.
            assertThat(decided.get(decided.size() - 1).state).isEqualTo(RequestState.EXPIRED);
            assertThat(decided).filteredOn(o -> o.state == RequestState.ACCEPTED).hasSizeLessThanOrEqualTo(1);

            // A duplicate of the expired request is a replay, not a second run.
            h.processElement(envelope("late", "bridge-2"), 0);
            assertThat(admitted(h)).isEmpty();
            assertThat(decided(h).get(decided(h).size() - 1).replay).isTrue();
        }
    }

    @Test
    void admittedIdsSurviveSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.processElement(envelope("a", null), 0);
            snapshot = h.snapshot(1L, 1L);
        }
        try (var restored = unopened()) {
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(envelope("a", "bridge-9"), 0);
            restored.processElement(envelope("fresh", null), 0);
            assertThat(admitted(restored)).extracting(r -> r.id).containsExactly("fresh");
            List<Outcome> decided = decided(restored);
            assertThat(decided).extracting(o -> o.id + ":" + (o.replay ? "replay" : o.state))
                    .containsExactly("a:replay", "fresh:ACCEPTED");
            assertThat(decided.get(0).replyTo).isEqualTo("bridge-9");
        }
    }

    @Test
    void aRejectedRecordClaimsItsIdWithItsFailedOutcome() throws Exception {
        try (var h = harness()) {
            Rejection bad = new Rejection();
            bad.id = "bad";
            bad.responseId = "bad";
            bad.errorCode = ErrorCode.MALFORMED_REQUEST;
            bad.reason = "malformed JSON";
            bad.rejectedAt = 5_000;
            bad.replyTo = "bridge-1";
            h.processElement(RequestEnvelope.carrying(Outcomes.rejected(bad)), 0);
            assertThat(admitted(h)).isEmpty();
            assertThat(decided(h)).singleElement().satisfies(o -> {
                assertThat(o.state).isEqualTo(RequestState.FAILED);
                assertThat(o.errorCode).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            });

            // The same ID again, now valid: answered with the stored FAILED, not run.
            h.processElement(envelope("bad", "bridge-2"), 0);
            assertThat(admitted(h)).isEmpty();
            assertThat(decided(h)).last().satisfies(o -> {
                assertThat(o.replay).isTrue();
                assertThat(o.replyTo).isEqualTo("bridge-2");
            });
        }
    }

    @Test
    void aRejectedDuplicateOfARequestInFlightIsAReplayAndCannotOverrideIt() throws Exception {
        try (var h = harness()) {
            h.processElement(envelope("a", "bridge-1"), 0);
            Rejection bad = new Rejection();
            bad.id = "a";
            bad.responseId = "a";
            bad.errorCode = ErrorCode.INVALID_INPUT;
            bad.reason = "wrong shape";
            bad.replyTo = "bridge-3";
            h.processElement(RequestEnvelope.carrying(Outcomes.rejected(bad)), 0);
            assertThat(admitted(h)).extracting(r -> r.id).containsExactly("a");
            Outcome last = decided(h).get(decided(h).size() - 1);
            assertThat(last.replay).isTrue();
            assertThat(last.state).isNull();
            assertThat(last.replyTo).isEqualTo("bridge-3");
        }
    }
}
