package io.streaminfer.job.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The workload's text and token ids are one prompt: a test sending the text compares with a run of the ids. */
class GenerationWorkloadTest {
    @Test
    void everyItemsTextTokenizesToItsPromptWithinTheLimit() {
        Path dir = Path.of(System.getProperty("streaminfer.models.dir"));
        ModelVersion model = ModelRepository.open(dir).resolve("sotu-gpt", null);
        List<GenerationWorkload.Item> items = GenerationWorkload.build(model, dir, 300, 128, 48, 11);
        long cut = items.stream().filter(i -> i.prompt().length > 100).count();
        assertThat(cut).as("the mix has long prompts").isGreaterThan(5);
        try (RequestPreparer preparer = Preparers.load(model)) {
            for (GenerationWorkload.Item item : items) {
                InferenceRequest r = new InferenceRequest(item.id(), Map.of("max_tokens", 1),
                        List.of(Tensor.ofStrings("text_input", item.text())), null);
                int[] ids = ((GenerationPrompt) preparer.prepare(r).payload()).tokens();
                assertThat(ids).as("%s: %s", item.id(), item.text()).containsExactly(item.prompt());
                assertThat(ids.length).isBetween(1, 128);
            }
        }
    }
}
