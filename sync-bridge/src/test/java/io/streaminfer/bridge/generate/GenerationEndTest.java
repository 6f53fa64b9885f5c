package io.streaminfer.bridge.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.TokenRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GenerationEndTest {
    private static Reply result(String text, String finish) {
        return new Reply(OipJson.writeResponse(new InferenceResponse("m", "1", "id", Map.of("finish_reason", finish,
                "prompt_tokens", 4, "completion_tokens", 2), List.of(Tensor.ofStrings("text_output", text)))), null);
    }

    @Test
    void aResultSaysTheTextTheFinishAndTheCounts() {
        GenerationEnd done = GenerationEnd.ofResult(result("Hi there", "stop"));
        assertThat(done.kind()).isEqualTo(GenerationEnd.Kind.FINISHED);
        assertThat(done.text()).isEqualTo("Hi there");
        assertThat(done.promptTokens()).isEqualTo(4);
        assertThat(done.completionTokens()).isEqualTo(2);
        assertThat(GenerationEnd.ofResult(result("Hi", "cancelled")).kind()).isEqualTo(GenerationEnd.Kind.CANCELLED);
    }

    @Test
    void anErrorResultIsExpiredForADeadlineElseFailedWithItsStatus() {
        GenerationEnd expired = GenerationEnd.ofResult(new Reply(OipJson.writeError("id", ErrorCode.DEADLINE_EXCEEDED,
                "late"), ErrorCode.DEADLINE_EXCEEDED));
        assertThat(expired.kind()).isEqualTo(GenerationEnd.Kind.EXPIRED);
        assertThat(expired.message()).isEqualTo("late");
        GenerationEnd bad = GenerationEnd.ofResult(new Reply(OipJson.writeError("id", ErrorCode.INVALID_INPUT,
                "top_p must be ..."), ErrorCode.INVALID_INPUT));
        assertThat(bad.kind()).isEqualTo(GenerationEnd.Kind.FAILED);
        assertThat(bad.httpStatus()).isEqualTo(400);
        assertThat(bad.message()).startsWith("top_p");
    }

    @Test
    void theLastTokenRecordEndsAStreamUnlessItSaysErrorWhoseCauseTheResultNames() {
        TokenRecord stop = new TokenRecord("s0-1", 3, ".", new int[] {13}, true, "length", 4, 4);
        assertThat(GenerationEnd.ofLastToken(stop).kind()).isEqualTo(GenerationEnd.Kind.FINISHED);
        assertThat(GenerationEnd.ofLastToken(stop).finishReason()).isEqualTo("length");
        assertThat(GenerationEnd.ofLastToken(new TokenRecord("s0-1", 3, "", new int[0], true, "expired", 4, 3))
                .kind()).isEqualTo(GenerationEnd.Kind.EXPIRED);
        assertThat(GenerationEnd.ofLastToken(new TokenRecord("s0-1", 3, "", new int[0], true, "cancelled", 4, 3))
                .kind()).isEqualTo(GenerationEnd.Kind.CANCELLED);
        assertThat(GenerationEnd.ofLastToken(new TokenRecord("s0-1", 3, "", new int[0], true, "error", 4, 3)))
                .isNull();
    }
}
