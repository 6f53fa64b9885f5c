package io.streaminfer.runtime;

import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.Tensor;
import io.streaminfer.generation.FinishReason;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A generation's OIP response: output {@value GenerationOptions#TEXT_OUTPUT} (BYTES, one element) and the parameters
 * {@code finish_reason}, {@code prompt_tokens}, {@code completion_tokens}. The job and the command-line tool answer
 * with it alike.
 */
public final class GenerationResponses {
    private GenerationResponses() {}

    public static InferenceResponse of(String model, String version, String id, FinishReason finish, String text,
            int promptTokens, int completionTokens) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put(GenerationOptions.FINISH_REASON, finish.wireName());
        parameters.put(GenerationOptions.PROMPT_TOKENS, promptTokens);
        parameters.put(GenerationOptions.COMPLETION_TOKENS, completionTokens);
        return new InferenceResponse(model, version, id, parameters,
                List.of(Tensor.ofStrings(GenerationOptions.TEXT_OUTPUT, text)));
    }
}
