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
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;

/**
 * State written by the outcome recorder of the version before its split (commit 62024ae, one 556-line class)
 * restores in this one: {@code state/outcome-recorder-62024ae.snapshot} holds, with results kept 10 of 60 minutes
 * and ACCEPTED held 100 ms, a compact success with its result apart ("ok"), a failure ("failed"), a running
 * request with a waiting replay and a held ACCEPTED ("running"), and a held ACCEPTED alone ("held").
 */
class OutcomeRecorderStateCompatibilityTest {
    static Outcome bigSuccess() {
        RequestEnvelope big = OutcomeRecorderTest.envelope("ok", "bridge-1");
        float[] embedding = new float[384];
        for (int i = 0; i < embedding.length; i++) {
            embedding[i] = (float) Math.sin(i) / 7f;
        }
        return Outcomes.success(big, new InferenceResponse("all-minilm-l6-v2", "1", big.responseId, null,
                List.of(Tensor.ofFloats("embedding", new long[] {1, 384}, embedding))), 3_000);
    }

    @Test
    void theStateOfThePreviousVersionRestoresAndAnswersAsItWould() throws Exception {
        URL snapshot = getClass().getResource("/state/outcome-recorder-62024ae.snapshot");
        assertThat(snapshot).isNotNull();
        var recorder = new OutcomeRecorder(Duration.ofMinutes(60), Duration.ofMinutes(10), since -> Map.of(), 100);
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, Outcome, Outcome>(
                new KeyedProcessOperator<>(recorder), o -> o.id, Types.STRING)) {
            h.setup();
            h.initializeState(OperatorSnapshotUtil.readStateHandle(Path.of(snapshot.toURI()).toString()));
            h.open();
            h.setProcessingTime(2_150);

            h.processElement(OutcomeRecorderTest.replay("ok", "bridge-9"), 0);
            h.processElement(OutcomeRecorderTest.replay("failed", "bridge-9"), 0);
            h.processElement(OutcomeRecorderTest.succeeded("running", 1f), 0);
            List<Outcome> out = h.extractOutputValues();
            assertThat(out).extracting(o -> o.id + ":" + o.kind() + ":" + o.replyTo).containsExactly(
                    "ok:REPLAY_ANSWER:bridge-9", "failed:REPLAY_ANSWER:bridge-9", "running:FINAL:bridge-1",
                    "running:REPLAY_ANSWER:bridge-2");
            assertThat(out.get(0).result).as("the compact result, kept apart, as the JSON published then")
                    .isEqualTo(bigSuccess().result);
            assertThat(out.get(1).errorCode).isEqualTo(ErrorCode.MODEL_ERROR);
            assertThat(OipJson.isError(out.get(1).result)).isTrue();
            assertThat(out.get(3).result).isEqualTo(out.get(2).result);

            h.setProcessingTime(2_300); // the held ACCEPTED of "held" is due; "running" ended before its own
            assertThat(OutcomeRecorderTest.statuses(h)).extracting(s -> s.id + " " + s.state)
                    .containsExactly("running SUCCEEDED", "held ACCEPTED");
            h.processElement(OutcomeRecorderTest.failed("held"), 0);
            assertThat(OutcomeRecorderTest.statuses(h)).extracting(s -> s.state).last()
                    .isEqualTo(RequestState.FAILED);
        }
    }
}
