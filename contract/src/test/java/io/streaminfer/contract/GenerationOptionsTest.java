package io.streaminfer.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.model.ChatMessage;
import io.streaminfer.contract.model.GenerationSettings;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading a generation request's prompt and sampling parameters, in OIP form and in the plain form. */
class GenerationOptionsTest {
    private static final GenerationSettings SETTINGS = new GenerationSettings(null, 512, 2, 2, 16, List.of(0),
            new GenerationSettings.MaxTokens(64, 300), null, null, null, null);

    private static InferenceRequest oip(Map<String, Object> parameters, String prompt) {
        return new InferenceRequest("r", parameters, prompt == null ? List.of()
                : List.of(Tensor.ofStrings(GenerationOptions.TEXT_INPUT, prompt)), null);
    }

    @Test
    void defaultsApplyWhenOnlyAPromptIsGiven() {
        GenerationOptions o = GenerationOptions.read(oip(Map.of(), "Hello"), SETTINGS);
        assertThat(o.prompt()).isEqualTo("Hello");
        assertThat(o.isChat()).isFalse();
        assertThat(o.maxTokens()).isEqualTo(64);
        assertThat(o.maxTokensGiven()).isFalse();
        assertThat(o.temperature()).isEqualTo(1.0);
        assertThat(o.topP()).isEqualTo(1.0);
        assertThat(o.topK()).isZero();
        assertThat(o.seed()).isEmpty();
        assertThat(o.stop()).isEmpty();
        assertThat(o.stream()).isFalse();
    }

    @Test
    void everySamplingParameterIsRead() {
        GenerationOptions o = GenerationOptions.read(oip(Map.of("max_completion_tokens", 10, "temperature", 0.5,
                "top_p", 0.9, "top_k", -1, "seed", 7, "stop", List.of("\n", "END"), "min_tokens", 3, "ignore_eos",
                true, "stream", true), "Hi"), SETTINGS);
        assertThat(o.maxTokens()).isEqualTo(10);
        assertThat(o.maxTokensGiven()).isTrue();
        assertThat(o.temperature()).isEqualTo(0.5);
        assertThat(o.topP()).isEqualTo(0.9);
        assertThat(o.topK()).as("vLLM's -1 is off").isZero();
        assertThat(o.seed()).hasValue(7);
        assertThat(o.stop()).containsExactly("\n", "END");
        assertThat(o.minTokens()).isEqualTo(3);
        assertThat(o.ignoreEos()).isTrue();
        assertThat(o.stream()).isTrue();
        assertThat(GenerationOptions.read(oip(Map.of("stop", "x"), "Hi"), SETTINGS).stop()).containsExactly("x");
    }

    @Test
    void everyProblemIsListedAtOnce() {
        assertThatThrownBy(() -> GenerationOptions.read(oip(Map.of("max_tokens", 1000, "temperature", "hot",
                "top_p", 0, "stop", List.of(1), "stream", "yes"), "Hi"), SETTINGS))
                .isInstanceOf(InferenceException.class)
                .hasMessageContaining("max_tokens must be between 1 and 300, got 1000")
                .hasMessageContaining("temperature must be a number")
                .hasMessageContaining("top_p must be between")
                .hasMessageContaining("stop must be a string or an array of strings")
                .hasMessageContaining("stream must be true or false");
        assertThatThrownBy(() -> GenerationOptions.read(oip(Map.of(), null), SETTINGS))
                .hasMessageContaining("no prompt");
        assertThatThrownBy(() -> GenerationOptions.read(oip(Map.of("messages", List.of()), "Hi"), SETTINGS))
                .hasMessageContaining("not both");
    }

    @Test
    void aChatIsReadFromItsMessages() {
        GenerationOptions o = GenerationOptions.read(oip(Map.of("messages", List.of(
                Map.of("role", "system", "content", "Be brief."), Map.of("role", "user", "content", "Hi"))), null),
                SETTINGS);
        assertThat(o.messages()).containsExactly(new ChatMessage(ChatMessage.Role.SYSTEM, "Be brief."),
                new ChatMessage(ChatMessage.Role.USER, "Hi"));
        assertThatThrownBy(() -> GenerationOptions.read(oip(Map.of("messages", List.of(Map.of("role", "robot",
                "content", "x"))), null), SETTINGS)).hasMessageContaining("unknown message role 'robot'");
    }

    @Test
    void thePlainFormIsReadAsTheOipRequestItStandsFor() {
        byte[] plain = "{\"id\":\"p1\",\"prompt\":\"Once\",\"max_tokens\":5,\"stream\":true}"
                .getBytes(StandardCharsets.UTF_8);
        assertThat(GenerationJson.isPlainForm(plain)).isTrue();
        InferenceRequest r = GenerationJson.toRequest(plain);
        assertThat(r.id()).isEqualTo("p1");
        GenerationOptions o = GenerationOptions.read(r, SETTINGS);
        assertThat(o.prompt()).isEqualTo("Once");
        assertThat(o.maxTokens()).isEqualTo(5);
        assertThat(o.stream()).isTrue();
        byte[] chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}".getBytes(StandardCharsets.UTF_8);
        assertThat(GenerationOptions.read(GenerationJson.toRequest(chat), SETTINGS).isChat()).isTrue();
        assertThat(GenerationJson.isPlainForm("{\"inputs\":[]}".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThatThrownBy(() -> GenerationJson.toRequest("{\"prompt\":[\"a\",\"b\"]}"
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("one string");
    }

    @Test
    void tokenAndControlRecordsRoundTrip() {
        TokenRecord delta = TokenRecord.delta("r", 3, "é \"x\"", new int[] {5, 6});
        assertThat(TokenRecord.fromJson(delta.toJson())).isEqualTo(delta);
        TokenRecord last = new TokenRecord("r", 4, "", new int[0], true, "stop", 12, 9);
        assertThat(TokenRecord.fromJson(last.toJson())).isEqualTo(last);
        assertThat(new String(last.toJson(), StandardCharsets.UTF_8))
                .contains("\"last\":true", "\"finish_reason\":\"stop\"", "\"completion_tokens\":9");
        ControlRecord cancel = ControlRecord.cancel("r", "client went away", 123);
        assertThat(ControlRecord.fromJson(cancel.toJson())).isEqualTo(cancel);
        assertThat(new String(cancel.toJson(), StandardCharsets.UTF_8)).contains("\"action\":\"cancel\"");
        assertThatThrownBy(() -> TokenRecord.fromJson("{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
