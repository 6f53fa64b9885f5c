package io.streaminfer.flink.generation;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.generation.FinishReason;
import io.streaminfer.runtime.GenerationResponses;

/**
 * The one final outcome of a generation, by how it ended: {@code stop} and {@code length} succeed with the text;
 * a cancel ends CANCELLED with the text so far; a deadline ends EXPIRED (DEADLINE_EXCEEDED; a streamed request's
 * readers already have the text so far, its last token record says {@code expired}); a model failure ends FAILED
 * (MODEL_ERROR). The response: {@link GenerationResponses}.
 */
final class GenerationOutcomes {
    private GenerationOutcomes() {}

    static Outcome of(RequestEnvelope r, FinishReason finish, String text, int promptTokens, int completionTokens,
            String error, long now) {
        return switch (finish) {
            case STOP, LENGTH -> Outcomes.success(r, response(r, finish, text, promptTokens, completionTokens), now);
            case CANCELLED -> Outcomes.cancelled(r, response(r, finish, text, promptTokens, completionTokens), now);
            case EXPIRED -> Outcomes.failure(r, ErrorCode.DEADLINE_EXCEEDED, "the deadline passed after "
                    + completionTokens + " generated token(s); a streamed request's text so far is on the token "
                    + "topic", now);
            case ERROR -> Outcomes.failure(r, ErrorCode.MODEL_ERROR, error == null ? "the model failed" : error, now);
        };
    }

    static InferenceResponse response(RequestEnvelope r, FinishReason finish, String text, int promptTokens,
            int completionTokens) {
        return GenerationResponses.of(r.model, r.modelVersion, r.responseId, finish, text, promptTokens,
                completionTokens);
    }
}
