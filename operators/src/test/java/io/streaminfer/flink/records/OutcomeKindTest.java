package io.streaminfer.flink.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.RequestState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each factory makes one kind of outcome, and the kind is all a reader needs to tell them apart. */
class OutcomeKindTest {
    static RequestEnvelope envelope() {
        RequestEnvelope r = new RequestEnvelope();
        r.id = "a";
        r.responseId = "a";
        r.model = "m";
        r.modelVersion = "1";
        r.replyTo = "bridge-1";
        r.callbackUrl = "http://hooks.example/a";
        return r;
    }

    @Test
    void eachFactoryMakesItsKind() {
        RequestEnvelope r = envelope();
        Outcome ok = Outcomes.success(r, new InferenceResponse("m", "1", "a", null, List.of()), 1);
        assertThat(ok.kind()).isEqualTo(Outcome.Kind.FINAL);
        assertThat(Outcomes.failure(r, ErrorCode.MODEL_ERROR, "boom", 1).kind()).isEqualTo(Outcome.Kind.FINAL);
        assertThat(Outcomes.failure(r, ErrorCode.DEADLINE_EXCEEDED, "late", 1).state)
                .isEqualTo(RequestState.EXPIRED);
        assertThat(Outcomes.accepted(r, 1).kind()).isEqualTo(Outcome.Kind.PROGRESS);
        assertThat(Outcomes.progress(r, RequestState.RUNNING, "embed", 1).kind()).isEqualTo(Outcome.Kind.PROGRESS);
        Outcome replay = Outcomes.replay(r, 1);
        assertThat(replay.kind()).isEqualTo(Outcome.Kind.REPLAY);
        assertThat(replay.callbackUrl).as("the original's callback is the one that fires").isNull();

        Rejection rejected = new Rejection();
        rejected.id = "a";
        rejected.errorCode = ErrorCode.MALFORMED_REQUEST;
        rejected.reason = "bad";
        Outcome rejection = Outcomes.rejected(rejected);
        assertThat(rejection.kind()).isEqualTo(Outcome.Kind.FINAL);
        assertThat(Outcomes.replayOf(rejection, 2).kind()).isEqualTo(Outcome.Kind.REPLAY);
    }

    @Test
    void aReplayAnswerIsTheResultRoutedToTheDuplicatesCallerWithoutTheCallback() {
        RequestEnvelope r = envelope();
        Outcome ok = Outcomes.success(r, new InferenceResponse("m", "1", "a", null, List.of()), 1);
        RequestEnvelope again = envelope();
        again.replyTo = "bridge-2";
        again.replyPartition = 3;
        Outcome answer = Outcomes.replayAnswer(ok, Outcomes.replay(again, 2));
        assertThat(answer.kind()).isEqualTo(Outcome.Kind.REPLAY_ANSWER);
        assertThat(answer.result).isEqualTo(ok.result);
        assertThat(answer.replyTo).isEqualTo("bridge-2");
        assertThat(answer.replyPartition).isEqualTo(3);
        assertThat(answer.callbackUrl).isNull();
        assertThat(ok.kind()).as("the result itself is unchanged").isEqualTo(Outcome.Kind.FINAL);
        assertThat(ok.callbackUrl).isNotNull();
    }

    @Test
    void progressIsNeverFinal() {
        assertThatThrownBy(() -> Outcomes.progress(envelope(), RequestState.SUCCEEDED, null, 1))
                .hasMessageContaining("progress is not final");
    }
}
