package io.streaminfer.bridge.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenAiShapesTest {
    private static final OpenAiShapes.Head CHAT = new OpenAiShapes.Head("chatcmpl-s0-1", 1700000000, "m", true);
    private static final OpenAiShapes.Head TEXT = new OpenAiShapes.Head("cmpl-s0-1", 1700000000, "m", false);
    private static final GenerationEnd DONE = new GenerationEnd(GenerationEnd.Kind.FINISHED, "Hello there", "length",
            7, 2, 200, null, null);

    @Test
    void base64IsLittleEndianFloat32AsTheClientsDecodeIt() {
        float[] v = {1.5f, -0.25f, 3.4028235e38f, Float.MIN_VALUE};
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(OpenAiShapes.base64(v)))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            assertThat(b.getFloat()).isEqualTo(f);
        }
        assertThat(b.hasRemaining()).isFalse();
        JsonNode floats = OpenAiShapes.embeddings("e", List.of(v), false, 3);
        assertThat(floats.get("data").get(0).get("embedding").get(1).floatValue()).isEqualTo(-0.25f);
        assertThat(floats.get("usage").get("prompt_tokens").asInt()).isEqualTo(3);
        assertThat(OpenAiShapes.embeddings("e", List.of(v), true, 3).get("data").get(0).get("embedding").isTextual())
                .isTrue();
    }

    @Test
    void answersCarryTheTextFinishReasonAndUsage() {
        JsonNode chat = OpenAiShapes.answer(CHAT, DONE);
        assertThat(chat.get("object").asText()).isEqualTo("chat.completion");
        assertThat(chat.get("choices").get(0).get("message").get("content").asText()).isEqualTo("Hello there");
        assertThat(chat.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        assertThat(chat.get("usage").get("total_tokens").asInt()).isEqualTo(9);
        JsonNode text = OpenAiShapes.answer(TEXT, DONE);
        assertThat(text.get("object").asText()).isEqualTo("text_completion");
        assertThat(text.get("choices").get(0).get("text").asText()).isEqualTo("Hello there");
    }

    @Test
    void chunksRepeatTheHeadAndEndWithFinishAndUsage() {
        JsonNode role = OpenAiShapes.roleChunk(CHAT, true);
        assertThat(role.get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        assertThat(role.get("usage").isNull()).isTrue();
        JsonNode delta = OpenAiShapes.deltaChunk(CHAT, " there", false);
        assertThat(delta.get("id").asText()).isEqualTo("chatcmpl-s0-1");
        assertThat(delta.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(delta.get("choices").get(0).get("delta").get("content").asText()).isEqualTo(" there");
        assertThat(delta.has("usage")).isFalse();
        JsonNode finish = OpenAiShapes.finishChunk(TEXT, "stop", false);
        assertThat(finish.get("choices").get(0).get("text").asText()).isEmpty();
        assertThat(finish.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        JsonNode usage = OpenAiShapes.usageChunk(TEXT, DONE);
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.get("usage").get("prompt_tokens").asInt()).isEqualTo(7);
    }

    @Test
    void whatDidNotFinishEndsInAnErrorOfItsOwn() {
        OpenAiError cancelled = OpenAiShapes.endError(new GenerationEnd(GenerationEnd.Kind.CANCELLED, "Hel",
                "cancelled", 7, 1, 200, null, null), "s0-1");
        assertThat(cancelled.status()).isEqualTo(409);
        assertThat(cancelled.body().get("error").get("code").asText()).isEqualTo("cancelled");
        assertThat(cancelled.getMessage()).contains("/v1/jobs/s0-1");
        OpenAiError expired = OpenAiShapes.endError(GenerationEnd.expired("late"), "s0-1");
        assertThat(expired.status()).isEqualTo(504);
        assertThat(expired.body().get("error").get("code").asText()).isEqualTo("deadline_exceeded");
        OpenAiError failed = OpenAiShapes.endError(GenerationEnd.failed(500, ErrorCode.MODEL_ERROR, "boom"), "x");
        assertThat(failed.body().get("error").get("type").asText()).isEqualTo("server_error");
        assertThat(failed.body().get("error").get("code").asText()).isEqualTo("model_error");
    }

    @Test
    void errorBodiesTakeOpenAisTypeForTheirStatus() {
        assertThat(OpenAiError.body(401, "no", null, null).get("error").get("code").asText())
                .isEqualTo("invalid_api_key");
        assertThat(OpenAiError.body(429, "busy", null, null).get("error").get("type").asText())
                .isEqualTo("rate_limit_error");
        assertThat(OpenAiError.body(400, "bad", "top_p", null).get("error").get("param").asText()).isEqualTo("top_p");
        assertThat(OpenAiError.isOpenAiPath("/v1/chat/completions")).isTrue();
        assertThat(OpenAiError.isOpenAiPath("/v1/models/x")).isTrue();
        assertThat(OpenAiError.isOpenAiPath("/v1/jobs/x")).isFalse();
    }

    @Test
    void aContractErrorNamesTheParameterItIsAbout() {
        OpenAiError e = OpenAiError.of(InferenceException.invalidInput("temperature must be between 0.0 and 2.0"));
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.body().get("error").get("param").asText()).isEqualTo("temperature");
        assertThat(OpenAiError.of(InferenceException.invalidInput("no prompt")).body().get("error").get("param")
                .isNull()).isTrue();
        assertThat(OpenAiError.of(new InferenceException(ErrorCode.UNKNOWN_MODEL, "unknown model 'x'")).status())
                .isEqualTo(404);
    }

    @Test
    void embeddingTokensAreEstimatedAtFourCharactersEach() {
        assertThat(OpenAiShapes.estimatedTokens(List.of("abcdefgh", "", "abcde"))).isEqualTo(2 + 1 + 2);
    }
}
