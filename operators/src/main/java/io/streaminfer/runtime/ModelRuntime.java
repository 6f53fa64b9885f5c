package io.streaminfer.runtime;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.internal.ReplicaFactory;
import io.streaminfer.runtime.internal.TorchEngine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of a repository, loaded: one {@link ModelReplica} per model version on this host's device. Knows nothing
 * of Flink; the job's operators and the command-line tools use it alike.
 *
 * <pre>{@code
 * try (ModelRuntime runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(dir).build())) {
 *     List<Prediction> out = runtime.replica("all-minilm-l6-v2", null).predictBatch(requests);
 * }
 * }</pre>
 */
public final class ModelRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRuntime.class);

    private final ModelRepository repository;
    private final Map<String, ModelReplica> replicas;

    private ModelRuntime(ModelRepository repository, Map<String, ModelReplica> replicas) {
        this.repository = repository;
        this.replicas = replicas;
    }

    /** Loads the selected models; a model that cannot load fails the whole call, naming it. */
    public static ModelRuntime load(RuntimeOptions options) {
        ModelRepository repository = ModelRepository.open(options.modelsDir());
        if (!options.models().isAll()) {
            for (String name : options.models().names()) {
                repository.model(name); // unknown names fail here, listing what exists
            }
        }
        if (options.threads() != null) {
            TorchEngine.get(options.threads()); // the first start of the engine fixes the process-wide setting
        }
        Map<String, ModelReplica> replicas = new LinkedHashMap<>();
        try {
            for (ModelRepository.ModelEntry entry : repository.models()) {
                if (!entry.config().isOneShot() || !options.models().includes(entry.name())) {
                    // A graph's steps' models load as models; a generative model runs on an engine (GenerativeReplica).
                    continue;
                }
                for (String v : entry.versions()) {
                    ModelVersion version = entry.version(v);
                    replicas.put(version.key(), loadReplica(version, options));
                }
            }
        } catch (RuntimeException e) {
            replicas.values().forEach(ModelReplica::close);
            throw e;
        }
        return new ModelRuntime(repository, replicas);
    }

    /**
     * One replica of one model version, with {@code options}' device, workers and listener (its models and
     * directory are not consulted); the caller closes it. For hosts that share replicas among their users.
     */
    public static ModelReplica loadReplica(ModelVersion version, RuntimeOptions options) {
        if (version.config().isGraph()) {
            throw new IllegalArgumentException(version.key() + " is a graph: it has no replica, its steps' models do");
        }
        if (options.threads() != null) {
            TorchEngine.get(options.threads());
        }
        long start = System.nanoTime();
        ModelReplica replica = ReplicaFactory.load(version, options.deviceOverride(), options.workersOverride(),
                options.listener());
        LOG.info("Loaded model {} on {} with {} worker(s) in {} ms", version.key(), replica.device(),
                replica.workers(), (System.nanoTime() - start) / 1_000_000);
        return replica;
    }

    public ModelRepository repository() {
        return repository;
    }

    /**
     * The replica of a model version ({@code version} null: the latest).
     *
     * @throws InferenceException UNKNOWN_MODEL when it is not in the repository or not loaded here
     */
    public ModelReplica replica(String model, String version) {
        ModelVersion v = repository.resolve(model, version);
        ModelReplica r = replicas.get(v.key());
        if (r == null && v.config().isGraph()) {
            throw new InferenceException(ErrorCode.UNKNOWN_MODEL, "'" + v.key() + "' is a graph of models: the job "
                    + "runs it (send it to the pipeline or the bridge); here you can run its steps' models");
        }
        if (r == null) {
            throw new InferenceException(ErrorCode.UNKNOWN_MODEL, "model '" + v.key() + "' is not loaded here");
        }
        return r;
    }

    /** Convenience for one request. */
    public Prediction predict(String model, String version, InferenceRequest request) {
        return replica(model, version).predictBatch(List.of(request)).get(0);
    }

    public List<ModelReplica> replicas() {
        return new ArrayList<>(replicas.values());
    }

    @Override
    public void close() {
        for (ModelReplica r : replicas.values()) {
            try {
                r.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing {} failed", r.model(), e);
            }
        }
    }
}
