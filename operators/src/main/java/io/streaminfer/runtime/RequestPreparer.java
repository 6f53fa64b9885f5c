package io.streaminfer.runtime;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.ModelVersion;

/**
 * Checks requests against one model version and does their share of the work that comes before batching, without
 * the model's weights: a text model's preparer cuts each row to what the tokenizer reads and tokenizes it, a tensor
 * model's checks the declared signature. What it returns runs on any replica of the same model version, so the job
 * prepares requests where it parses them, once, and carries the compact result ({@link PreparedRequestCodec}).
 * Confined: never used by two threads at once.
 *
 * <pre>{@code
 * try (RequestPreparer preparer = Preparers.load(repository.resolve("all-minilm-l6-v2", null))) {
 *     PreparedRequest p = preparer.prepare(request);   // throws InferenceException (INVALID_INPUT)
 *     byte[] compact = PreparedRequestCodec.encode(p);
 * }
 * }</pre>
 */
public interface RequestPreparer extends AutoCloseable {
    ModelVersion model();

    /** @throws io.streaminfer.contract.InferenceException INVALID_INPUT naming what is wrong */
    PreparedRequest prepare(InferenceRequest request);

    @Override
    void close();
}
