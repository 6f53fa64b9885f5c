package io.streaminfer.bridge.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.GenerationOptions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenAiRequestsTest {
    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static OpenAiError refusal(Runnable r) {
        try {
            r.run();
        } catch (OpenAiError e) {
            return e;
        }
        throw new AssertionError("not refused");
    }

    @Test
    void aCompletionBecomesThePromptInputAndTheSamplingParametersUnderTheirNames() {
        OpenAiRequests.Generation g = OpenAiRequests.completion(json("{\"model\":\"m\",\"prompt\":\"Hi\","
                + "\"max_tokens\":5,\"temperature\":0,\"top_p\":0.9,\"top_k\":40,\"seed\":7,\"stop\":[\".\"],"
                + "\"min_tokens\":1,\"ignore_eos\":true,\"user\":\"u-1\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}"));
        assertThat(g.model()).isEqualTo("m");
        assertThat(g.chat()).isFalse();
        assertThat(g.stream()).isTrue();
        assertThat(g.includeUsage()).isTrue();
        assertThat(g.request().input(GenerationOptions.TEXT_INPUT).strings()).containsExactly("Hi");
        assertThat(g.request().parameters()).containsEntry("max_tokens", 5).containsEntry("temperature", 0)
                .containsEntry("top_p", 0.9).containsEntry("top_k", 40).containsEntry("seed", 7)
                .containsEntry("stop", List.of(".")).containsEntry("min_tokens", 1)
                .containsEntry("ignore_eos", true).doesNotContainKeys("user", "stream", "model");
    }

    @Test
    void aOneElementPromptArrayIsOnePromptButSeveralOrTokenIdsAreRefused() {
        assertThat(OpenAiRequests.completion(json("{\"model\":\"m\",\"prompt\":[\"Hi\"]}")).request()
                .input(GenerationOptions.TEXT_INPUT).strings()).containsExactly("Hi");
        OpenAiError several = refusal(() -> OpenAiRequests.completion(json("{\"model\":\"m\",\"prompt\":[\"a\","
                + "\"b\"]}")));
        assertThat(several.status()).isEqualTo(400);
        assertThat(several.body().get("error").get("param").asText()).isEqualTo("prompt");
        assertThat(refusal(() -> OpenAiRequests.completion(json("{\"model\":\"m\",\"prompt\":[1,2]}")))
                .getMessage()).contains("token-ID");
    }

    @Test
    void whatTheEngineCannotDoIsRefusedNamingTheParameter() {
        for (String[] c : new String[][] {{"\"n\":2", "n"}, {"\"presence_penalty\":0.5", "presence_penalty"},
                {"\"frequency_penalty\":1", "frequency_penalty"}, {"\"logit_bias\":{\"5\":1}", "logit_bias"},
                {"\"echo\":true", "echo"}, {"\"logprobs\":2", "logprobs"}, {"\"best_of\":3", "best_of"},
                {"\"repetition_penalty\":1.2", "repetition_penalty"}}) {
            OpenAiError e = refusal(() -> OpenAiRequests.completion(json("{\"model\":\"m\",\"prompt\":\"x\","
                    + c[0] + "}")));
            assertThat(e.status()).as(c[0]).isEqualTo(400);
            assertThat(e.body().get("error").get("param").asText()).isEqualTo(c[1]);
            assertThat(e.body().get("error").get("type").asText()).isEqualTo("invalid_request_error");
        }
        // Their neutral values pass.
        OpenAiRequests.completion(json("{\"model\":\"m\",\"prompt\":\"x\",\"n\":1,\"presence_penalty\":0,"
                + "\"logit_bias\":{},\"echo\":false,\"logprobs\":null}"));
    }

    @Test
    void aChatsMessagesBecomeParametersWithTextPartsJoined() {
        OpenAiRequests.Generation g = OpenAiRequests.chat(json("{\"model\":\"m\",\"messages\":["
                + "{\"role\":\"developer\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello \"},"
                + "{\"type\":\"text\",\"text\":\"there\"}]}],\"max_completion_tokens\":3}"));
        assertThat(g.chat()).isTrue();
        assertThat(g.request().inputs()).isEmpty();
        assertThat(g.request().parameters()).containsEntry("max_completion_tokens", 3);
        assertThat(g.request().parameters().get(GenerationOptions.MESSAGES)).isEqualTo(List.of(
                Map.of("role", "developer", "content", "Be brief."), Map.of("role", "user", "content",
                        "Hello there")));
    }

    @Test
    void badChatsAreRefused() {
        assertThat(refusal(() -> OpenAiRequests.chat(json("{\"model\":\"m\",\"messages\":[]}"))).getMessage())
                .contains("non-empty");
        OpenAiError tool = refusal(() -> OpenAiRequests.chat(json("{\"model\":\"m\",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"tool\",\"content\":\"y\"}]}")));
        assertThat(tool.body().get("error").get("param").asText()).isEqualTo("messages[1].role");
        assertThat(refusal(() -> OpenAiRequests.chat(json("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"image_url\",\"image_url\":{}}]}]}"))).getMessage()).contains("text parts");
        assertThat(refusal(() -> OpenAiRequests.chat(json("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"x\"}],\"tools\":[{\"type\":\"function\"}]}"))).getMessage()).contains("tools");
        assertThat(refusal(() -> OpenAiRequests.chat(json("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"x\"}],\"response_format\":{\"type\":\"json_object\"}}"))).getMessage())
                .contains("response format");
    }

    @Test
    void theBodyModelAndStreamOptionsAreChecked() {
        assertThat(refusal(() -> OpenAiRequests.completion(json("[1]"))).getMessage()).contains("JSON object");
        assertThat(refusal(() -> OpenAiRequests.completion(json("{"))).getMessage()).contains("not valid JSON");
        assertThat(refusal(() -> OpenAiRequests.completion(json("{\"prompt\":\"x\"}"))).body().get("error")
                .get("param").asText()).isEqualTo("model");
        assertThat(refusal(() -> OpenAiRequests.completion(json("{\"model\":\"m\",\"prompt\":\"x\","
                + "\"stream_options\":{\"include_usage\":true}}"))).getMessage()).contains("stream is true");
        assertThat(refusal(() -> OpenAiRequests.completion(json("{\"model\":\"m\",\"prompt\":\"x\","
                + "\"stream\":\"yes\"}"))).getMessage()).contains("stream");
    }

    @Test
    void embeddingsTakeAStringOrStringsAndAnEncoding() {
        OpenAiRequests.Embeddings one = OpenAiRequests.embeddings(json("{\"model\":\"e\",\"input\":\"a\"}"));
        assertThat(one.inputs()).containsExactly("a");
        assertThat(one.base64()).isFalse();
        OpenAiRequests.Embeddings two = OpenAiRequests.embeddings(json("{\"model\":\"e\",\"input\":[\"a\",\"b\"],"
                + "\"encoding_format\":\"base64\",\"dimensions\":384}"));
        assertThat(two.inputs()).containsExactly("a", "b");
        assertThat(two.base64()).isTrue();
        assertThat(two.dimensions()).isEqualTo(384);
        assertThat(refusal(() -> OpenAiRequests.embeddings(json("{\"model\":\"e\",\"input\":[[1,2]]}")))
                .getMessage()).contains("token-ID");
        assertThat(refusal(() -> OpenAiRequests.embeddings(json("{\"model\":\"e\",\"input\":[]}"))).status())
                .isEqualTo(400);
        assertThat(refusal(() -> OpenAiRequests.embeddings(json("{\"model\":\"e\",\"input\":\"a\","
                + "\"encoding_format\":\"int8\"}"))).body().get("error").get("param").asText())
                .isEqualTo("encoding_format");
    }
}
