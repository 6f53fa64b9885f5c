package io.streaminfer.bridge.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.GenerationJson;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.ModelRepository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the bridge publishes for a generative model: checked as the job reads it, streaming when it asks. */
class GenerationChecksTest {
    @TempDir
    static Path repo;
    static RequestChecks checks;

    @BeforeAll
    static void repository() throws IOException {
        model("gen", "kind: generative\ngeneration: {context_length: 64, layers: 1, heads: 1, head_dim: 4, "
                + "end_of_sequence: [0], max_tokens: {default: 8, max: 32}}\n", "tokenizer.json");
        model("emb", "kind: text-embedding\ninputs: [{name: text, datatype: BYTES, shape: [-1]}]\n"
                + "outputs: [{name: embedding, datatype: FP32, shape: [-1, 4]}]\ntext: {}\n", "tokenizer.json");
        checks = new RequestChecks(ModelRepository.open(repo));
    }

    private static void model(String name, String yaml, String... files) throws IOException {
        Path v = Files.createDirectories(repo.resolve(name).resolve("1"));
        Files.writeString(repo.resolve(name).resolve("model.yaml"), yaml);
        Files.write(v.resolve("model.pt"), new byte[0]);
        for (String f : files) {
            Files.writeString(v.resolve(f), "{}");
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aPlainFormJobIsPublishedAsOipThatStreams() {
        CheckedRequest c = checks.streaming(checks.check("gen", null, utf8("{\"prompt\":\"Hi\",\"max_tokens\":4}"),
                -1));
        assertThat(c.isGeneration()).isTrue();
        assertThat(c.headerLength()).isEqualTo(-1);
        InferenceRequest published = OipJson.parseRequest(c.body());
        assertThat(published.input("text_input").strings()).containsExactly("Hi");
        assertThat(published.parameters()).containsEntry("max_tokens", 4).containsEntry("stream", true);
    }

    @Test
    void aChatIsPublishedInThePlainFormForItHasNoInputTensor() {
        InferenceRequest chat = new InferenceRequest("mine", Map.of("messages", List.of(Map.of("role", "user",
                "content", "Hi"))), List.of(), null);
        CheckedRequest c = checks.generation("gen", null, chat, false);
        assertThat(GenerationJson.isPlainForm(c.body())).isTrue();
        InferenceRequest read = GenerationJson.toRequest(c.body());
        assertThat(read.id()).isEqualTo("mine");
        assertThat(read.parameters()).containsEntry("stream", false).containsKey("messages");
    }

    @Test
    void samplingParametersAreCheckedAsTheJobReadsThem() {
        assertThatThrownBy(() -> checks.check("gen", null, utf8("{\"prompt\":\"Hi\",\"temperature\":\"hot\","
                + "\"max_tokens\":99}"), -1))
                .isInstanceOf(InferenceException.class)
                .hasMessageContaining("temperature must be a number")
                .hasMessageContaining("max_tokens must be between 1 and 32")
                .extracting(e -> ((InferenceException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT);
    }

    @Test
    void onlyAGenerativeModelGenerates() {
        InferenceRequest r = new InferenceRequest(null, Map.of(), List.of(), null);
        assertThatThrownBy(() -> checks.generation("emb", null, r, true))
                .hasMessageContaining("not a generative model (it is text-embedding)");
        assertThatThrownBy(() -> checks.generation("nope", null, r, true))
                .extracting(e -> ((InferenceException) e).code()).isEqualTo(ErrorCode.UNKNOWN_MODEL);
    }

    @Test
    void anotherModelsRequestIsNotChangedByStreaming() {
        CheckedRequest c = checks.check("emb", null, utf8("{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\","
                + "\"shape\":[1],\"data\":[\"a\"]}]}"), -1);
        assertThat(checks.streaming(c)).isSameAs(c);
    }
}
