package io.streaminfer.contract.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds a model repository on disk: model folders with a model.yaml and numbered version folders of dummy files. */
final class RepoFixture {
    /** A valid text-embedding model.yaml; the text section relies on every default. */
    static final String TEXT_YAML = String.join("\n",
            "kind: text-embedding",
            "inputs:  [{name: text, datatype: BYTES, shape: [-1]}]",
            "outputs: [{name: embedding, datatype: FP32, shape: [-1, 384]}]",
            "text: {}",
            "");

    /** A valid tensor model.yaml. */
    static final String TENSOR_YAML = String.join("\n",
            "kind: tensor",
            "inputs:",
            "  - {name: x, datatype: FP32, shape: [-1, 4]}",
            "  - {name: mask, datatype: BOOL, shape: [-1, -1]}",
            "outputs:",
            "  - {name: y, datatype: FP32, shape: [-1, 2]}",
            "  - {name: score, datatype: FP64, shape: [-1]}",
            "");

    /** A graph's model.yaml: one text input, a score and a label out. */
    static final String GRAPH_YAML = String.join("\n",
            "kind: graph",
            "inputs: [{name: question, datatype: BYTES, shape: [-1]}]",
            "outputs:",
            "  - {name: score, datatype: FP32, shape: [-1]}",
            "  - {name: label, datatype: INT64, shape: [-1]}",
            "");

    private final Path root;

    RepoFixture(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /** Creates {@code name/model.yaml} with the given text. */
    RepoFixture model(String name, String yaml) {
        write(root.resolve(name).resolve(ModelConfig.FILE_NAME), yaml);
        return this;
    }

    /** Creates the folder {@code name/version} holding empty files of the given names. */
    RepoFixture version(String name, String version, String... files) {
        Path dir = root.resolve(name).resolve(version);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String f : files) {
            write(dir.resolve(f), "");
        }
        return this;
    }

    /** A text model with one complete version. */
    RepoFixture textModel(String name) {
        return model(name, TEXT_YAML).version(name, "1", "model.pt", "tokenizer.json");
    }

    /** A tensor model with one complete version. */
    RepoFixture tensorModel(String name) {
        return model(name, TENSOR_YAML).version(name, "1", "model.pt");
    }

    /** A graph with one version whose graph.yaml is {@code graphYaml}. */
    RepoFixture graph(String name, String modelYaml, String graphYaml) {
        model(name, modelYaml);
        write(root.resolve(name).resolve("1").resolve(ModelConfig.GRAPH_FILE), graphYaml);
        return this;
    }

    ModelRepository open() {
        return ModelRepository.open(root);
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
