package io.streaminfer.job.testing;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The real texts of {@code deploy/data/sotu-texts.txt}: 4,000 passages of State of the Union addresses with a
 * long-tailed length mix (2 to 875 words, median 23; see deploy/data/README.md), for benchmarks and tests.
 */
public final class RealTexts {
    private RealTexts() {}

    /** Reads the corpus from {@code <repo>/deploy/data}, found from the models dir or the working directory. */
    public static List<String> load(Path modelsDir) {
        Path file = modelsDir.toAbsolutePath().getParent().resolve("data").resolve("sotu-texts.txt");
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the real texts " + file + " (deploy/data/README.md)", e);
        }
    }

    /** An OIP request JSON for one text, properly escaped. */
    public static byte[] request(String id, String text) {
        return OipJson.writeRequest(new InferenceRequest(id, List.of(Tensor.ofStrings("text", text))));
    }
}
