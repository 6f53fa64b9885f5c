package io.streaminfer.bridge.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelKind;
import io.streaminfer.contract.model.ModelRepository;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * An embeddings request as the job runs it, the one translation of {@code POST /v1/embeddings} (online and in
 * batches): the model must be a text-embedding model of the dimensions asked for; the inputs go as OIP requests of
 * at most the model's {@code max_batch_size} texts each; their results join, in input order, into OpenAI's answer.
 *
 * <pre>{@code
 * EmbeddingSlices s = EmbeddingSlices.of(OpenAiRequests.embeddings(body), repository, checks);
 * ... publish s.slices(), collect their replies in order ...
 * ObjectNode answer = s.answer(replies);   // after failure(reply) was null for each
 * }</pre>
 */
public final class EmbeddingSlices {
    private final OpenAiRequests.Embeddings request;
    private final List<CheckedRequest> slices;

    private EmbeddingSlices(OpenAiRequests.Embeddings request, List<CheckedRequest> slices) {
        this.request = request;
        this.slices = List.copyOf(slices);
    }

    /**
     * @throws OpenAiError a model of another kind or dimension
     * @throws io.streaminfer.contract.InferenceException an unknown model, a bad input
     */
    public static EmbeddingSlices of(OpenAiRequests.Embeddings e, ModelRepository repository, RequestChecks checks) {
        ModelConfig c = repository.resolve(e.model(), null).config();
        if (c.kind() != ModelKind.TEXT_EMBEDDING) {
            throw new OpenAiError(400, "model '" + e.model() + "' is not a text-embedding model (it is "
                    + c.kind().yamlName() + ")", "model", null);
        }
        long dim = c.outputs().get(0).dim(1);
        if (e.dimensions() != null && e.dimensions() != dim) {
            throw OpenAiError.badRequest("model '" + e.model() + "' gives " + dim + " dimensions; it cannot "
                    + "give " + e.dimensions(), "dimensions");
        }
        String input = c.inputs().get(0).name();
        List<CheckedRequest> slices = new ArrayList<>();
        for (int from = 0; from < e.inputs().size(); from += c.maxBatchSize()) {
            List<String> texts = e.inputs().subList(from, Math.min(e.inputs().size(), from + c.maxBatchSize()));
            slices.add(checks.check(e.model(), null, new InferenceRequest(null, Map.of(),
                    List.of(Tensor.ofStrings(input, texts.toArray(new String[0]))), null)));
        }
        return new EmbeddingSlices(e, slices);
    }

    /** The OIP requests to run, in input order. */
    public List<CheckedRequest> slices() {
        return slices;
    }

    /** Null when the slice's result has vectors; else the error to answer with. */
    public static OpenAiError failure(Reply r) {
        return r.isSuccess() ? null : new OpenAiError(r.errorCode().httpStatus(), r.errorMessage(), null, null);
    }

    /** OpenAI's answer from the slices' results, in slice order (each a success). */
    public ObjectNode answer(List<Reply> replies) {
        List<float[]> vectors = new ArrayList<>(request.inputs().size());
        for (Reply r : replies) {
            InferenceResponse response = r.isBinary() ? OipBinary.parseResponse(r.body(), r.headerLength())
                    : OipJson.parseResponse(r.body());
            Tensor t = response.outputs().get(0);
            int dim = (int) t.dim(1);
            float[] all = t.floats();
            for (int row = 0; row < t.dim(0); row++) {
                vectors.add(Arrays.copyOfRange(all, row * dim, (row + 1) * dim));
            }
        }
        return OpenAiShapes.embeddings(request.model(), vectors, request.base64(),
                OpenAiShapes.estimatedTokens(request.inputs()));
    }
}
