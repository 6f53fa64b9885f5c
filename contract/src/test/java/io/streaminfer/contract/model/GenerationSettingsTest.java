package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A generative model's model.yaml: its generation section, its fixed signature, and its chat template. */
class GenerationSettingsTest {
    static final String YAML = String.join("\n",
            "kind: generative",
            "max_batch_size: 16",
            "generation:",
            "  context_length: 512",
            "  layers: 6",
            "  heads: 4",
            "  head_dim: 64",
            "  end_of_sequence: [2047]",
            "");

    @TempDir
    Path dir;

    private ModelConfig read(String yaml) throws IOException {
        Path file = dir.resolve(ModelConfig.FILE_NAME);
        Files.writeString(file, yaml);
        return ModelRepository.readConfig(file);
    }

    private String failure(String yaml) {
        Throwable t = catchThrowable(() -> read(yaml));
        assertThat(t).as("expected the config to be refused").isNotNull();
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    @Test
    void aGenerativeModelGetsItsSignatureAndDefaults() throws IOException {
        ModelConfig c = read(YAML);
        assertThat(c.isGenerative()).isTrue();
        assertThat(c.inputs()).extracting(TensorSpec::name).containsExactly("text_input");
        assertThat(c.outputs()).extracting(TensorSpec::name).containsExactly("text_output");
        GenerationSettings g = c.generation();
        assertThat(g.tokenizer()).isEqualTo("tokenizer.json");
        assertThat(g.cacheBytesPerToken()).isEqualTo(2L * 6 * 4 * 64 * 4);
        assertThat(g.maxTokens().defaultValue()).isEqualTo(128);
        assertThat(g.maxTokens().max()).isEqualTo(256);
        assertThat(g.kvCacheBytes()).isEqualTo(256L << 20);
        assertThat(g.chatTemplate()).isEqualTo(GenerationSettings.ChatTemplate.DEFAULT);
    }

    @Test
    void everyMissingOrWrongSettingIsNamedAtOnce() {
        String message = failure("kind: generative\ngeneration: {context_length: 0, heads: 4, "
                + "max_tokens: {default: 10, max: 20}}\n");
        assertThat(message).contains("context_length' must be between", "'generation.layers' is required",
                "'generation.head_dim' is required", "end_of_sequence");
        assertThat(failure("kind: generative\n")).contains("needs a 'generation' section");
        assertThat(failure(YAML + "text: {}\n")).contains("'text' applies to text-embedding models only");
        assertThat(failure(YAML.replace("end_of_sequence: [2047]", "end_of_sequence: [2047]\n  max_tokens: "
                + "{max: 512}"))).contains("must be below context_length");
        assertThat(failure(YAML + "inputs: [{name: prompt, datatype: BYTES, shape: [-1]}]\n"))
                .contains("signature is fixed");
    }

    @Test
    void theChatTemplateRendersEachMessageByItsRoleThenTheGenerationPrompt() throws IOException {
        ModelConfig c = read(YAML.replace("end_of_sequence: [2047]", String.join("\n",
                "end_of_sequence: [2047]",
                "  chat_template: {user: \"Q: {content}\\n\", assistant: \"A: {content}\\n\", "
                        + "generation_prompt: \"A:\"}")));
        String prompt = c.generation().chatTemplate().render(List.of(
                new ChatMessage(ChatMessage.Role.SYSTEM, "Be brief."),
                new ChatMessage(ChatMessage.Role.USER, "What is the state of the union?"),
                new ChatMessage(ChatMessage.Role.ASSISTANT, "Strong."),
                new ChatMessage(ChatMessage.Role.USER, "Why?")));
        assertThat(prompt).isEqualTo("Be brief.\n\nQ: What is the state of the union?\nA: Strong.\nQ: Why?\nA:");
        assertThat(ChatMessage.Role.parse("developer")).isEqualTo(ChatMessage.Role.SYSTEM);
        assertThat(failure(YAML.replace("end_of_sequence: [2047]",
                "end_of_sequence: [2047]\n  chat_template: {user: \"no placeholder\"}"))).contains("{content}");
    }
}
