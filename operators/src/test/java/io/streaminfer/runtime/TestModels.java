package io.streaminfer.runtime;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the model repository that deploy/model-export/export-models.sh fills. */
public final class TestModels {
    public static final String MINILM = "all-minilm-l6-v2";
    public static final String TINY_MLP = "tiny-mlp";
    /** The shipped generative model (trained by deploy/model-export/train_sotu_gpt.py, its weights tracked). */
    public static final String GENERATIVE = "sotu-gpt";

    private TestModels() {}

    public static Path modelsDir() {
        String configured = System.getProperty("streaminfer.models.dir");
        Path dir = configured != null ? Path.of(configured) : findUpwards();
        for (String model : new String[] {MINILM, TINY_MLP}) {
            if (!Files.isRegularFile(dir.resolve(model).resolve("1").resolve("model.pt"))) {
                throw new IllegalStateException("model " + model + " is not exported under " + dir
                        + "; run deploy/model-export/export-models.sh (the README's test command does)");
            }
        }
        return dir;
    }

    public static io.streaminfer.contract.model.ModelRepository repository() {
        return io.streaminfer.contract.model.ModelRepository.open(modelsDir());
    }

    /** The real texts of deploy/data/sotu-texts.txt (see its README), one per line. */
    public static java.util.List<String> realTexts() {
        Path file = modelsDir().getParent().resolve("data").resolve("sotu-texts.txt");
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the real texts " + file, e);
        }
    }

    private static Path findUpwards() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path candidate = p.resolve("deploy").resolve("models");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("no deploy/models above " + Path.of("").toAbsolutePath());
    }
}
