package io.streaminfer.contract.model;

import java.nio.file.Path;
import java.util.Objects;

/** One version of one model (the unit the runtime loads), or of a graph of models. */
public final class ModelVersion {
    private final String name;
    private final String version;
    private final ModelConfig config;
    private final Path directory;
    private final GraphSpec graph;

    public ModelVersion(String name, String version, ModelConfig config, Path directory) {
        this(name, version, config, directory, null);
    }

    /** @param graph the version's graph.yaml, for a graph; null for a model */
    public ModelVersion(String name, String version, ModelConfig config, Path directory, GraphSpec graph) {
        this.name = Objects.requireNonNull(name);
        this.version = Objects.requireNonNull(version);
        this.config = Objects.requireNonNull(config);
        this.directory = Objects.requireNonNull(directory);
        if (config.isGraph() && graph == null) {
            throw new IllegalArgumentException(name + ":" + version + " is a graph and needs its graph.yaml");
        }
        this.graph = graph;
    }

    /** The steps of a graph's version; null for a model. */
    public GraphSpec graph() {
        return graph;
    }

    public String name() {
        return name;
    }

    public String version() {
        return version;
    }

    public ModelConfig config() {
        return config;
    }

    public Path directory() {
        return directory;
    }

    public Path modelFile() {
        return directory.resolve(config.modelFile());
    }

    /** {@code name:version}, the key the runtime and metrics use. */
    public String key() {
        return name + ":" + version;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelVersion && ((ModelVersion) o).name.equals(name)
                && ((ModelVersion) o).version.equals(version);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + version.hashCode();
    }

    @Override
    public String toString() {
        return key();
    }
}
