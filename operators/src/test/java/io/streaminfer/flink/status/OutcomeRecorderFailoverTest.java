package io.streaminfer.flink.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.StatusUpdate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One final state per ID across a restore: what was published after the last checkpoint is read back (here from a
 * map standing in for the status topic) and no re-run contradicts it.
 */
class OutcomeRecorderFailoverTest {
    /** What "the status topic" holds, and the time the recorder asked to read from; static: the reader is serialized. */
    static final Map<String, StatusUpdate> TOPIC = new ConcurrentHashMap<>();
    static final AtomicLong ASKED_SINCE = new AtomicLong(-1);

    static final PublishedFinals READER = since -> {
        ASKED_SINCE.set(since);
        return Map.copyOf(TOPIC);
    };

    @AfterEach
    void clear() {
        TOPIC.clear();
        ASKED_SINCE.set(-1);
    }

    static KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> recorder() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new OutcomeRecorder(OutcomeRecorderTest.TTL, READER)), o -> o.id, Types.STRING);
    }

    static void published(String id, RequestState state, ErrorCode code, String reason) {
        StatusUpdate p = new StatusUpdate();
        p.id = id;
        p.model = "tiny-mlp";
        p.modelVersion = "1";
        p.state = state;
        p.errorCode = code;
        p.reason = reason;
        p.acceptedAt = 2_000;
        p.updatedAt = System.currentTimeMillis();
        TOPIC.put(id, p);
    }

    static Outcome expired(String id) {
        return Outcomes.failure(OutcomeRecorderTest.envelope(id, "bridge-2"), ErrorCode.DEADLINE_EXCEEDED,
                "deadline passed", 5_000);
    }

    /** A recorder that checkpointed with nothing decided, then was restored after decisions were published. */
    static KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> restoredAfterPublishing(
            Runnable publish) throws Exception {
        OperatorSubtaskState checkpoint;
        long before = System.currentTimeMillis();
        try (var h = recorder()) {
            h.open();
            checkpoint = h.snapshot(1L, 1L);
        }
        publish.run();
        var restored = recorder();
        restored.initializeState(checkpoint);
        restored.open();
        assertThat(ASKED_SINCE.get()).as("reads back from just before the checkpoint")
                .isBetween(before - 11_000, System.currentTimeMillis());
        return restored;
    }

    @Test
    void aRequestPublishedSucceededIsNotPublishedExpiredWhenItsReplayExpires() throws Exception {
        try (var h = restoredAfterPublishing(() -> published("a", RequestState.SUCCEEDED, null, null))) {
            h.processElement(OutcomeRecorderTest.accepted("a"), 0);
            h.processElement(expired("a"), 0);

            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(OutcomeRecorderTest.statuses(h)).isEmpty();
            // A later run (the state TTL's edge) that succeeds answers its caller, and no second status.
            h.processElement(OutcomeRecorderTest.succeeded("a", 1f), 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(o ->
                    assertThat(o.state).isEqualTo(RequestState.SUCCEEDED));
            assertThat(OutcomeRecorderTest.statuses(h)).isEmpty();
        }
    }

    @Test
    void replaysOfASuccessWhoseReRunFailedAreToldItsResultIsNotKept() throws Exception {
        try (var h = restoredAfterPublishing(() -> published("a", RequestState.SUCCEEDED, null, null))) {
            h.processElement(OutcomeRecorderTest.accepted("a"), 0);
            h.processElement(OutcomeRecorderTest.replay("a", "bridge-3"), 0); // waits for the re-run
            h.processElement(expired("a"), 0);

            // The waiting caller is answered, not with the re-run's EXPIRED (which contradicts SUCCEEDED) but with
            // an error that says why there is no result; nothing goes to the re-run's own route, nor as a status.
            List<Outcome> out = h.extractOutputValues();
            assertThat(out).singleElement().satisfies(o -> {
                assertThat(o.replyTo).isEqualTo("bridge-3");
                assertThat(o.replay).isTrue();
                assertThat(o.errorCode).isEqualTo(ErrorCode.RESULT_NOT_KEPT);
                assertThat(o.reason).contains("SUCCEEDED before a failover").contains("new ID");
                assertThat(OutcomeRecorderTest.text(o.result)).contains("SUCCEEDED before a failover");
            });
            assertThat(OutcomeRecorderTest.statuses(h)).isEmpty();

            // A later duplicate (a replay: admission has seen the ID) gets the same answer at once.
            h.processElement(OutcomeRecorderTest.replay("a", "bridge-4"), 0);
            assertThat(h.extractOutputValues()).hasSize(2).last().satisfies(o -> {
                assertThat(o.replyTo).isEqualTo("bridge-4");
                assertThat(o.errorCode).isEqualTo(ErrorCode.RESULT_NOT_KEPT);
            });

            // A run at the state TTL's edge that succeeds keeps its result: replays after it get that result.
            Outcome again = OutcomeRecorderTest.succeeded("a", 7f);
            h.processElement(again, 0);
            h.processElement(OutcomeRecorderTest.replay("a", "bridge-5"), 0);
            assertThat(h.extractOutputValues()).hasSize(4).satisfies(all -> {
                assertThat(all.get(2).replyTo).isEqualTo("bridge-1");
                assertThat(all.get(3).replyTo).isEqualTo("bridge-5");
                assertThat(all.subList(2, 4)).allSatisfy(o -> {
                    assertThat(o.errorCode).isNull();
                    assertThat(o.result).isEqualTo(again.result);
                });
            });
            assertThat(OutcomeRecorderTest.statuses(h)).as("SUCCEEDED was published once, before the restore")
                    .isEmpty();
        }
    }

    @Test
    void aResultNotKeptSurvivesSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = restoredAfterPublishing(() -> published("a", RequestState.SUCCEEDED, null, null))) {
            h.processElement(expired("a"), 0);
            snapshot = h.snapshot(2L, 2L);
        }
        TOPIC.clear();
        try (var h = recorder()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(OutcomeRecorderTest.replay("a", "bridge-4"), 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(o -> {
                assertThat(o.errorCode).isEqualTo(ErrorCode.RESULT_NOT_KEPT);
                assertThat(o.state).isEqualTo(RequestState.SUCCEEDED);
            });
        }
    }

    @Test
    void aRequestPublishedExpiredStaysExpiredWhenItsReplaySucceeds() throws Exception {
        try (var h = restoredAfterPublishing(() -> published("b", RequestState.EXPIRED,
                ErrorCode.DEADLINE_EXCEEDED, "deadline passed 3 ms before the request reached the pipeline"))) {
            h.processElement(OutcomeRecorderTest.accepted("b"), 0);
            h.processElement(OutcomeRecorderTest.succeeded("b", 1f), 0);

            List<Outcome> out = h.extractOutputValues();
            assertThat(out).singleElement().satisfies(o -> {
                assertThat(o.state).isEqualTo(RequestState.EXPIRED);
                assertThat(o.errorCode).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
                assertThat(o.reason).isEqualTo("deadline passed 3 ms before the request reached the pipeline");
                assertThat(o.replyTo).as("routed as the re-run is").isEqualTo("bridge-1");
                assertThat(OipJson.isError(o.result)).isTrue();
                assertThat(new String(o.result)).contains("\"id\":\"resp-b\"");
            });
            List<StatusUpdate> statuses = OutcomeRecorderTest.statuses(h);
            assertThat(statuses).extracting(s -> s.state).containsExactly(RequestState.EXPIRED);
            // Stored: a duplicate now gets the kept state too.
            h.processElement(OutcomeRecorderTest.replay("b", "bridge-3"), 0);
            assertThat(h.extractOutputValues()).hasSize(2).last().satisfies(o ->
                    assertThat(o.state).isEqualTo(RequestState.EXPIRED));
        }
    }

    @Test
    void aWatchdogFailureIsNotTurnedIntoASuccess() throws Exception {
        try (var h = restoredAfterPublishing(() -> published("c", RequestState.FAILED, ErrorCode.MODEL_ERROR,
                "watchdog: the model call ... did not return"))) {
            h.processElement(OutcomeRecorderTest.succeeded("c", 1f), 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(o -> {
                assertThat(o.state).isEqualTo(RequestState.FAILED);
                assertThat(o.reason).startsWith("watchdog:");
            });
        }
    }

    @Test
    void aReRunThatAgreesIsPublishedAsUsual() throws Exception {
        try (var h = restoredAfterPublishing(() -> published("d", RequestState.SUCCEEDED, null, null))) {
            Outcome ok = OutcomeRecorderTest.succeeded("d", 2f);
            h.processElement(ok, 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(o ->
                    assertThat(o.result).isEqualTo(ok.result));
            assertThat(OutcomeRecorderTest.statuses(h)).extracting(s -> s.state)
                    .containsExactly(RequestState.SUCCEEDED);
        }
    }

    @Test
    void idsPublishedButNotYetReRunAreCarriedThroughTheNextCheckpoint() throws Exception {
        OperatorSubtaskState second;
        try (var h = restoredAfterPublishing(() -> published("e", RequestState.EXPIRED,
                ErrorCode.DEADLINE_EXCEEDED, "late"))) {
            second = h.snapshot(2L, 2L); // before "e" came back
        }
        TOPIC.clear(); // the second read-back window no longer holds it
        try (var again = recorder()) {
            again.initializeState(second);
            again.open();
            again.processElement(OutcomeRecorderTest.succeeded("e", 1f), 0);
            assertThat(again.extractOutputValues()).singleElement().satisfies(o ->
                    assertThat(o.state).isEqualTo(RequestState.EXPIRED));
        }
    }

    @Test
    void withoutARestoreNothingIsReadBack() throws Exception {
        published("f", RequestState.EXPIRED, ErrorCode.DEADLINE_EXCEEDED, "late");
        try (var h = recorder()) {
            h.open();
            h.processElement(OutcomeRecorderTest.succeeded("f", 1f), 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(o ->
                    assertThat(o.state).isEqualTo(RequestState.SUCCEEDED));
        }
        assertThat(ASKED_SINCE.get()).isEqualTo(-1);
    }

    @Test
    void anAcceptedHeldAtTheCheckpointIsNotPublishedAfterItsFinalState() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new OutcomeRecorder(OutcomeRecorderTest.TTL, READER, 100)), (Outcome o) -> o.id, Types.STRING)) {
            h.open();
            h.setProcessingTime(2_100);
            h.processElement(OutcomeRecorderTest.accepted("done-after-checkpoint"), 0); // held until 2,200
            h.processElement(OutcomeRecorderTest.accepted("still-waiting"), 0);
            checkpoint = h.snapshot(1L, 1L);
        }
        // After the checkpoint the first ended and its final state was published; then the job failed.
        published("done-after-checkpoint", RequestState.SUCCEEDED, null, null);
        try (var restored = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new OutcomeRecorder(OutcomeRecorderTest.TTL, READER, 100)), (Outcome o) -> o.id, Types.STRING)) {
            restored.setup();
            restored.initializeState(checkpoint);
            restored.open();
            restored.setProcessingTime(2_300);
            assertThat(OutcomeRecorderTest.published(restored)).as("ACCEPTED after SUCCEEDED would be the last "
                    + "record of the compacted topic").containsExactly("still-waiting ACCEPTED");
        }
    }
}
