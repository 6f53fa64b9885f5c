package io.streaminfer.bridge.batch.feed;

import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.contract.model.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model repository for the line tests, made once: {@code gen} (generative), {@code emb} (text embedding, 2
 * dimensions, batches of 2) and {@code tiny} (tensor, x [-1, 2] to y [-1, 2]).
 */
final class TestModels {
    static final ModelRepository REPOSITORY = create();
    static final RequestChecks CHECKS = new RequestChecks(REPOSITORY);

    private TestModels() {}

    private static ModelRepository create() {
        try {
            Path repo = Files.createTempDirectory("batch-models");
            repo.toFile().deleteOnExit();
            model(repo, "gen", "kind: generative\ngeneration: {context_length: 64, layers: 1, heads: 1, head_dim: 4,"
                    + " end_of_sequence: [0], max_tokens: {default: 8, max: 32}}\n", "tokenizer.json");
            model(repo, "emb", "kind: text-embedding\nmax_batch_size: 2\n"
                    + "inputs: [{name: text, datatype: BYTES, shape: [-1]}]\n"
                    + "outputs: [{name: embedding, datatype: FP32, shape: [-1, 2]}]\ntext: {}\n", "tokenizer.json");
            model(repo, "tiny", "kind: tensor\ninputs: [{name: x, datatype: FP32, shape: [-1, 2]}]\n"
                    + "outputs: [{name: y, datatype: FP32, shape: [-1, 2]}]\n");
            return ModelRepository.open(repo);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void model(Path repo, String name, String yaml, String... files) throws IOException {
        Path v = Files.createDirectories(repo.resolve(name).resolve("1"));
        Files.writeString(repo.resolve(name).resolve("model.yaml"), yaml);
        Files.write(v.resolve("model.pt"), new byte[0]);
        for (String f : files) {
            Files.writeString(v.resolve(f), "{}");
        }
    }
}
