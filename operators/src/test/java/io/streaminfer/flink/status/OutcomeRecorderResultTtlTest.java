package io.streaminfer.flink.status;

import static io.streaminfer.flink.status.OutcomeRecorderTest.accepted;
import static io.streaminfer.flink.status.OutcomeRecorderTest.failed;
import static io.streaminfer.flink.status.OutcomeRecorderTest.replay;
import static io.streaminfer.flink.status.OutcomeRecorderTest.statuses;
import static io.streaminfer.flink.status.OutcomeRecorderTest.succeeded;
import static io.streaminfer.flink.status.OutcomeRecorderTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Results kept shorter than IDs ({@code state.result-ttl-minutes}): replays within the result's TTL get the result,
 * later ones a RESULT_NOT_KEPT answer (never silence, never a second run), failures keep their error for the IDs' TTL.
 * The state TTL's clock is the harness's ({@code setStateTtlProcessingTime}).
 */
class OutcomeRecorderResultTtlTest {
    static final Duration IDS = Duration.ofMinutes(60);
    static final Duration RESULTS = Duration.ofMinutes(10);
    static final long MINUTE = 60_000;

    static KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> recorder(Duration resultTtl)
            throws Exception {
        var h = unopened(resultTtl);
        h.open();
        return h;
    }

    static KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome> unopened(Duration resultTtl)
            throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new OutcomeRecorder(IDS, resultTtl, PublishedFinals.none(), 0)), o -> o.id, Types.STRING);
        h.setStateTtlProcessingTime(0);
        return h;
    }

    @Test
    void aReplayWithinTheResultsTtlGetsTheResultAndOneAfterItIsToldItIsNotKept() throws Exception {
        try (var h = recorder(RESULTS)) {
            Outcome ok = succeeded("a", 1f);
            h.processElement(accepted("a"), 0);
            h.processElement(ok, 0);

            h.setStateTtlProcessingTime(9 * MINUTE);
            h.processElement(replay("a", "bridge-2"), 0);
            assertThat(h.extractOutputValues()).hasSize(2).last().satisfies(o -> {
                assertThat(o.replyTo).isEqualTo("bridge-2");
                assertThat(o.errorCode).isNull();
                assertThat(o.result).isEqualTo(ok.result);
            });

            h.setStateTtlProcessingTime(11 * MINUTE);
            h.processElement(replay("a", "bridge-3"), 0);
            assertThat(h.extractOutputValues()).hasSize(3).last().satisfies(o -> {
                assertThat(o.replay).isTrue();
                assertThat(o.replyTo).isEqualTo("bridge-3");
                assertThat(o.state).isEqualTo(RequestState.SUCCEEDED);
                assertThat(o.errorCode).isEqualTo(ErrorCode.RESULT_NOT_KEPT);
                assertThat(o.reason).contains("request a SUCCEEDED at").contains("state.result-ttl-minutes")
                        .contains("new ID");
                assertThat(o.callbackUrl).isNull();
                assertThat(OipJson.isError(o.result)).isTrue();
                assertThat(text(o.result)).contains("RESULT_NOT_KEPT");
            });
            // Replays never publish a status: SUCCEEDED stays the one final state.
            assertThat(statuses(h)).extracting(s -> s.state)
                    .containsExactly(RequestState.ACCEPTED, RequestState.SUCCEEDED);
        }
    }

    @Test
    void aFailureKeepsItsErrorForTheIdsTtl() throws Exception {
        try (var h = recorder(RESULTS)) {
            h.processElement(failed("a"), 0);
            h.setStateTtlProcessingTime(50 * MINUTE);
            h.processElement(replay("a", "bridge-2"), 0);
            assertThat(h.extractOutputValues()).hasSize(2).last().satisfies(o -> {
                assertThat(o.state).isEqualTo(RequestState.FAILED);
                assertThat(o.errorCode).isEqualTo(ErrorCode.MODEL_ERROR);
                assertThat(o.reason).isEqualTo("boom");
            });
        }
    }

    @Test
    void noResultsKeptAnswersEveryReplayOfASuccessWithNotKept() throws Exception {
        try (var h = recorder(Duration.ZERO)) {
            Outcome ok = succeeded("a", 1f);
            h.processElement(ok, 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(o -> {
                assertThat(o.result).as("the published result is whole").isEqualTo(ok.result);
            });
            h.processElement(replay("a", "bridge-2"), 0);
            assertThat(h.extractOutputValues()).hasSize(2).last()
                    .satisfies(o -> assertThat(o.errorCode).isEqualTo(ErrorCode.RESULT_NOT_KEPT));
        }
    }

    @Test
    void aRunAtTheIdsTtlEdgeAfterItsResultWentKeepsTheNewResult() throws Exception {
        try (var h = recorder(RESULTS)) {
            h.processElement(succeeded("a", 1f), 0);
            h.setStateTtlProcessingTime(20 * MINUTE);
            // Run again (its admission had expired before its outcome did): the caller gets this run's result.
            Outcome again = succeeded("a", 2f);
            h.processElement(again, 0);
            assertThat(h.extractOutputValues()).hasSize(2).last().satisfies(o -> {
                assertThat(o.replay).isTrue();
                assertThat(o.errorCode).isNull();
                assertThat(o.result).isEqualTo(again.result);
            });
            h.processElement(replay("a", "bridge-4"), 0);
            assertThat(h.extractOutputValues()).hasSize(3).last()
                    .satisfies(o -> assertThat(o.result).isEqualTo(again.result));
            assertThat(statuses(h)).hasSize(1); // the first run's SUCCEEDED only
        }
    }

    @Test
    void resultsKeptApartSurviveSnapshotAndRestore() throws Exception {
        Outcome ok = succeeded("a", 1f);
        OperatorSubtaskState snapshot;
        try (var h = recorder(RESULTS)) {
            h.processElement(ok, 0);
            snapshot = h.snapshot(1L, 1L);
        }
        try (var restored = unopened(RESULTS)) {
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(replay("a", "bridge-9"), 0);
            assertThat(restored.extractOutputValues()).singleElement()
                    .satisfies(o -> assertThat(o.result).isEqualTo(ok.result));
        }
    }

    @Test
    void aResultCannotOutliveItsId() {
        assertThatThrownBy(() -> new OutcomeRecorder(IDS, Duration.ofMinutes(61), PublishedFinals.none(), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 0 and the state TTL");
        assertThatThrownBy(() -> new OutcomeRecorder(IDS, Duration.ofMinutes(-1), PublishedFinals.none(), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void resultsKeptAsLongAsIdsAnswerReplaysUntilTheIdsTtl() throws Exception {
        try (var h = recorder(IDS)) {
            Outcome ok = succeeded("a", 1f);
            h.processElement(ok, 0);
            h.setStateTtlProcessingTime(59 * MINUTE);
            h.processElement(replay("a", "bridge-2"), 0);
            List<Outcome> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(1).result).isEqualTo(ok.result);
        }
    }
}
