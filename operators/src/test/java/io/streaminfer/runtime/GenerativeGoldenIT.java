package io.streaminfer.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.EngineListener;
import io.streaminfer.generation.GenerationEngine;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.generation.GenerationResult;
import io.streaminfer.generation.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The shipped generative model through DJL and the engine gives what its training script computed in PyTorch
 * ({@code golden.json}, written with the same TorchScript file): the Java tokenizer path gives the script's prompt
 * ids, and the engine, the five prompts decoding together in one batch, gives each one's greedy continuation.
 */
class GenerativeGoldenIT {
    @Test
    void theEngineInABatchDecodesWhatTheTrainingScriptDecoded() throws Exception {
        ModelVersion v = TestModels.repository().resolve(TestModels.GENERATIVE, null);
        JsonNode golden = new ObjectMapper().readTree(v.directory().resolve("golden.json").toFile());
        int newTokens = golden.get("new_tokens").asInt();
        List<JsonNode> cases = new ArrayList<>();
        golden.get("cases").forEach(cases::add);
        List<int[]> prompts = new ArrayList<>();
        try (RequestPreparer preparer = Preparers.load(v)) {
            for (JsonNode c : cases) {
                int[] expected = ints(c.get("prompt_ids"));
                GenerationPrompt p = (GenerationPrompt) preparer.prepare(new InferenceRequest("g", Map.of(),
                        List.of(Tensor.ofStrings("text_input", c.get("prompt").asText())), null)).payload();
                assertThat(p.tokens()).as("the prompt ids of case %s", prompts.size())
                        .containsExactly(expected);
                prompts.add(expected);
            }
        }
        try (GenerativeReplica replica = GenerativeReplica.load(v, null);
                GenerationEngine engine = new GenerationEngine(replica.decoder(), replica.tokens(),
                        replica.engineConfig().build(), GenerationListener.NONE, EngineListener.NONE)) {
            List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                SamplingParams greedy = SamplingParams.builder().maxTokens(newTokens).temperature(0).ignoreEos(true)
                        .build();
                results.add(engine.submit(GenerationRequest.builder("golden-" + i, prompts.get(i), greedy).build()));
            }
            for (int i = 0; i < cases.size(); i++) {
                assertThat(results.get(i).get().tokens()).as("greedy continuation %d", i)
                        .containsExactly(ints(cases.get(i).get("greedy_ids")));
                assertThat(results.get(i).get().text()).isEqualTo(cases.get(i).get("greedy_text").asText());
            }
        }
    }

    private static int[] ints(JsonNode array) {
        return IntStream.range(0, array.size()).map(i -> array.get(i).asInt()).toArray();
    }
}
