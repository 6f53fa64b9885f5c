package io.streaminfer.contract.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A model repository on disk, laid out as Triton's: one folder per model holding {@code model.yaml}, and one numbered
 * subfolder per version holding the model's files.
 *
 * <pre>{@code
 * models/
 *   all-minilm-l6-v2/
 *     model.yaml
 *     1/model.pt
 *     1/tokenizer.json
 * }</pre>
 *
 * A graph ({@code kind: graph}) has the same layout, with a {@code graph.yaml} in each version folder; it is
 * checked against the repository's models ({@link GraphValidator}).
 *
 * {@link #open(Path)} reads and checks everything up front and reports every problem at once, so a broken repository
 * fails at start-up with a list of what to fix. This class reads descriptors only; loading weights is the runtime's job.
 */
public final class ModelRepository {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path root;
    private final NavigableMap<String, ModelEntry> models;

    private ModelRepository(Path root, NavigableMap<String, ModelEntry> models) {
        this.root = root;
        this.models = Collections.unmodifiableNavigableMap(models);
    }

    /** Reads every model under {@code root}; throws {@link IllegalStateException} listing all problems found. */
    public static ModelRepository open(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("model repository " + root.toAbsolutePath() + " is not a directory; "
                    + "set the models directory, or run deploy/model-export/export-models.sh to create the default");
        }
        List<String> problems = new ArrayList<>();
        NavigableMap<String, ModelEntry> models = new TreeMap<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : (Iterable<Path>) dirs.sorted()::iterator) {
                if (Files.isDirectory(dir) && !dir.getFileName().toString().startsWith(".")) {
                    ModelEntry e = readModel(dir, problems);
                    if (e != null) {
                        models.put(e.name(), e);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list model repository " + root + ": " + e.getMessage(), e);
        }
        ModelRepository repository = new ModelRepository(root, models);
        // Graphs are checked against the models once every model is read, so their problems join the others.
        for (ModelEntry e : models.values()) {
            for (Map.Entry<Long, GraphSpec> g : e.graphs.entrySet()) {
                for (String p : GraphValidator.validate(repository, e.name(), e.config(), g.getValue())) {
                    problems.add("graph " + e.name() + " version " + g.getKey() + ": " + p);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("model repository " + root.toAbsolutePath() + " has "
                    + problems.size() + " problem(s):\n  - " + String.join("\n  - ", problems));
        }
        if (models.isEmpty()) {
            throw new IllegalStateException("model repository " + root.toAbsolutePath() + " holds no model folder");
        }
        return repository;
    }

    /** Reads one model.yaml on its own (the file's folder name is the model name). */
    public static ModelConfig readConfig(Path file) throws IOException {
        return YAML.readValue(file.toFile(), ModelConfig.class);
    }

    private static ModelEntry readModel(Path dir, List<String> problems) {
        String name = dir.getFileName().toString();
        Path configFile = dir.resolve(ModelConfig.FILE_NAME);
        if (!Files.isRegularFile(configFile)) {
            problems.add(name + ": no " + ModelConfig.FILE_NAME + " in " + dir);
            return null;
        }
        ModelConfig config;
        try {
            config = readConfig(configFile);
        } catch (UnrecognizedPropertyException e) {
            problems.add(name + ": unknown key '" + e.getPropertyName() + "' in " + configFile + " (known: "
                    + e.getKnownPropertyIds() + ")");
            return null;
        } catch (IOException | IllegalArgumentException e) {
            problems.add(name + ": invalid " + configFile + ": " + rootMessage(e));
            return null;
        }
        NavigableMap<Long, Path> versions = new TreeMap<>();
        try (Stream<Path> subdirs = Files.list(dir)) {
            for (Path v : (Iterable<Path>) subdirs::iterator) {
                String vname = v.getFileName().toString();
                if (Files.isDirectory(v) && vname.matches("[0-9]{1,18}")) {
                    Path other = versions.put(Long.parseLong(vname), v);
                    if (other != null) {
                        problems.add(name + ": version folders " + other.getFileName() + " and " + vname
                                + " are the same version; keep one");
                    }
                }
            }
        } catch (IOException e) {
            problems.add(name + ": cannot list " + dir + ": " + e.getMessage());
            return null;
        }
        if (versions.isEmpty()) {
            problems.add(name + ": no version folder (e.g. " + dir.resolve("1") + "); for the default models run "
                    + "deploy/model-export/export-models.sh");
            return null;
        }
        int before = problems.size();
        NavigableMap<Long, GraphSpec> graphs = new TreeMap<>();
        for (Map.Entry<Long, Path> v : versions.entrySet()) {
            Path file = v.getValue().resolve(config.modelFile());
            requireFile(file, name, v.getKey(), problems);
            if (config.kind() == ModelKind.TEXT_EMBEDDING) {
                requireFile(v.getValue().resolve(config.text().tokenizer()), name, v.getKey(), problems);
            } else if (config.isGenerative()) {
                requireFile(v.getValue().resolve(config.generation().tokenizer()), name, v.getKey(), problems);
            }
            if (config.isGraph() && Files.isRegularFile(file)) {
                List<String> graphProblems = new ArrayList<>();
                GraphSpec spec = GraphSpec.read(file, graphProblems);
                for (String p : graphProblems) {
                    problems.add("graph " + name + " version " + v.getKey() + ": " + file.getFileName() + ": " + p);
                }
                if (spec != null) {
                    graphs.put(v.getKey(), spec);
                }
            }
        }
        return problems.size() == before ? new ModelEntry(name, config, versions, graphs) : null;
    }

    private static void requireFile(Path file, String name, long version, List<String> problems) {
        if (!Files.isRegularFile(file)) {
            problems.add(name + " version " + version + ": missing file " + file);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.toString() : m.split("\n")[0];
    }

    public Path root() {
        return root;
    }

    public List<ModelEntry> models() {
        return List.copyOf(models.values());
    }

    /** The names of every model and graph, sorted. */
    public List<String> modelNames() {
        return List.copyOf(models.keySet());
    }

    /** The graphs of the repository ({@code kind: graph}). */
    public List<ModelEntry> graphs() {
        return models.values().stream().filter(e -> e.config().isGraph()).toList();
    }

    public ModelEntry model(String name) {
        ModelEntry e = models.get(name);
        if (e == null) {
            throw new InferenceException(ErrorCode.UNKNOWN_MODEL, "unknown model '" + name + "'; this server has "
                    + models.keySet());
        }
        return e;
    }

    /**
     * The version to run: {@code version} when given, else the model's latest.
     *
     * @throws InferenceException UNKNOWN_MODEL naming what exists
     */
    public ModelVersion resolve(String name, String version) {
        return model(name).version(version);
    }

    /** One model: its config and its version folders, by number. */
    public static final class ModelEntry {
        private final String name;
        private final ModelConfig config;
        private final NavigableMap<Long, Path> versions;
        /** A graph's graph.yaml of each version; empty for a model. */
        private final NavigableMap<Long, GraphSpec> graphs;

        ModelEntry(String name, ModelConfig config, NavigableMap<Long, Path> versions,
                NavigableMap<Long, GraphSpec> graphs) {
            this.name = name;
            this.config = config;
            this.versions = Collections.unmodifiableNavigableMap(versions);
            this.graphs = Collections.unmodifiableNavigableMap(graphs);
        }

        public String name() {
            return name;
        }

        public ModelConfig config() {
            return config;
        }

        public List<String> versions() {
            List<String> out = new ArrayList<>();
            for (Long v : versions.keySet()) {
                out.add(Long.toString(v));
            }
            return out;
        }

        public ModelVersion latest() {
            Map.Entry<Long, Path> e = versions.lastEntry();
            return new ModelVersion(name, Long.toString(e.getKey()), config, e.getValue(), graphs.get(e.getKey()));
        }

        public ModelVersion version(String version) {
            if (version == null || version.isEmpty()) {
                return latest();
            }
            Path dir = null;
            if (version.matches("[0-9]+")) {
                dir = versions.get(Long.parseLong(version));
            }
            if (dir == null) {
                throw new InferenceException(ErrorCode.UNKNOWN_MODEL, "model '" + name + "' has no version '"
                        + version + "'; it has " + versions());
            }
            long v = Long.parseLong(version);
            return new ModelVersion(name, Long.toString(v), config, dir, graphs.get(v));
        }
    }
}
