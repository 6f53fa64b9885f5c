package io.streaminfer.bridge.batch.feed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.openai.EmbeddingSlices;
import io.streaminfer.bridge.openai.OpenAiError;
import io.streaminfer.bridge.openai.OpenAiRequests;
import io.streaminfer.bridge.openai.OpenAiShapes;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A line's body as the requests the job runs, and their results as the line's answer, with the translations the
 * online endpoints use ({@link OpenAiRequests}, {@link EmbeddingSlices}, {@link OpenAiShapes}, {@link RequestChecks}):
 * a line is answered as the endpoint would answer it online. What the endpoint would refuse is refused the same way
 * (its status and error body), without a request; a batch line may not stream.
 */
final class LineTranslator {
    private final BatchEndpoint endpoint;
    private final ModelRepository repository;
    private final RequestChecks checks;

    LineTranslator(BatchEndpoint endpoint, ModelRepository repository, RequestChecks checks) {
        this.endpoint = endpoint;
        this.repository = repository;
        this.checks = checks;
    }

    LinePlan plan(InputLine line) {
        try {
            return switch (endpoint.kind()) {
                case EMBEDDINGS -> embeddings(line);
                case COMPLETIONS, CHAT_COMPLETIONS -> generation(line, endpoint.kind() == BatchEndpoint.Kind
                        .CHAT_COMPLETIONS);
                case OIP_INFER -> oip(line);
            };
        } catch (OpenAiError e) {
            return refused(e);
        } catch (InferenceException e) {
            return endpoint.kind() == BatchEndpoint.Kind.OIP_INFER ? new LinePlan.Refused(oipError(
                    e.code().httpStatus(), e.getMessage())) : refused(OpenAiError.of(e));
        }
    }

    /** How many requests a line sends; 1 when it cannot say (the line will be refused or sent whole). */
    int parts(InputLine line) {
        if (endpoint.kind() != BatchEndpoint.Kind.EMBEDDINGS) {
            return 1;
        }
        JsonNode input = line.body().get("input");
        JsonNode model = line.body().get("model");
        if (input == null || !input.isArray() || model == null || !model.isTextual()
                || !repository.modelNames().contains(model.textValue())) {
            return 1;
        }
        ModelConfig c = repository.resolve(model.textValue(), null).config();
        return Math.max(1, (input.size() + c.maxBatchSize() - 1) / c.maxBatchSize());
    }

    private LinePlan embeddings(InputLine line) {
        EmbeddingSlices slices = EmbeddingSlices.of(OpenAiRequests.embeddings(bytes(line.body())), repository,
                checks);
        return new LinePlan.Send(slices.slices(), (id, replies) -> {
            for (Reply r : replies) {
                OpenAiError failed = EmbeddingSlices.failure(r);
                if (failed != null) {
                    return new LineAnswer(failed.status(), failed.body());
                }
            }
            return new LineAnswer(200, slices.answer(replies));
        });
    }

    private LinePlan generation(InputLine line, boolean chat) {
        if (line.body().path("stream").asBoolean(false)) {
            throw OpenAiError.badRequest("a batch line cannot stream: leave stream out or false", "stream");
        }
        byte[] body = bytes(line.body());
        OpenAiRequests.Generation g = chat ? OpenAiRequests.chat(body) : OpenAiRequests.completion(body);
        return new LinePlan.Send(List.of(checks.generation(g.model(), null, g.request(), false)), (id, replies) -> {
            GenerationEnd end = GenerationEnd.ofResult(replies.get(0));
            if (end.succeeded()) {
                return new LineAnswer(200, OpenAiShapes.answer(OpenAiShapes.head(id, g.model(), chat), end));
            }
            OpenAiError e = OpenAiShapes.endError(end, id);
            return new LineAnswer(e.status(), e.body());
        });
    }

    private LinePlan oip(InputLine line) {
        BatchEndpoint.OipTarget target = BatchEndpoint.oip(line.url());
        return new LinePlan.Send(List.of(checks.check(target.model(), target.version(), bytes(line.body()), -1)),
                (id, replies) -> {
                    Reply r = replies.get(0);
                    JsonNode body = json(r.jsonBody());
                    return new LineAnswer(r.isSuccess() ? 200 : r.errorCode().httpStatus(), body);
                });
    }

    private static LinePlan refused(OpenAiError e) {
        return new LinePlan.Refused(new LineAnswer(e.status(), e.body()));
    }

    private static LineAnswer oipError(int status, String message) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("error", message);
        return new LineAnswer(status, o);
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return OipJson.MAPPER.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(byte[] body) {
        try {
            return OipJson.MAPPER.readTree(body);
        } catch (IOException e) {
            ObjectNode o = OipJson.MAPPER.createObjectNode();
            o.put("error", "unreadable result: " + e.getMessage());
            return o;
        }
    }
}
