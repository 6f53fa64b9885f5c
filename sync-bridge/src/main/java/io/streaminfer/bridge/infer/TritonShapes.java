package io.streaminfer.bridge.infer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.GraphStep;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.TensorRef;
import io.streaminfer.contract.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Triton's shapes for the model configuration, statistics and repository index extensions, filled from what the
 * bridge knows: the model repository's {@code model.yaml} and this replica's {@link ModelStats}. Written once as
 * JSON, the form HTTP answers; gRPC reads the same JSON into the protobuf messages of Triton's
 * {@code grpc_service.proto}, whose JSON field names these are. docs/bridge.md ("Triton's model endpoints") lists
 * the fields filled and those left out.
 *
 * <pre>{@code
 * ObjectNode config = TritonShapes.config(repository.resolve("all-minilm-l6-v2", null));
 * ObjectNode stats = TritonShapes.statistics(repository, modelStats, "all-minilm-l6-v2", null);
 * }</pre>
 */
public final class TritonShapes {
    private TritonShapes() {}

    /** A model's configuration, or a graph's in the shape of Triton's ensembles. */
    public static ObjectNode config(ModelVersion v) {
        return v.config().isGraph() ? ensembleConfig(v) : config(v.name(), v.config());
    }

    /**
     * {@code {"model_stats": [...]}} for every version of the model (of every model when {@code name} is null), or
     * only {@code version} when given.
     *
     * @throws InferenceException UNKNOWN_MODEL for a model or version the repository lacks
     */
    public static ObjectNode statistics(ModelRepository repository, ModelStats stats, String name, String version) {
        if (name == null && version != null) {
            throw new InferenceException(ErrorCode.INVALID_INPUT, "statistics of version '" + version
                    + "' need the model's name");
        }
        List<ModelRepository.ModelEntry> models = name == null ? repository.models() : List.of(repository.model(name));
        String only = version == null ? null : repository.resolve(name, version).version();
        ObjectNode o = object();
        ArrayNode all = o.putArray("model_stats");
        for (ModelRepository.ModelEntry m : models) {
            for (String v : m.versions()) {
                if (only == null || v.equals(only)) {
                    all.add(stat(stats.get(m.name(), v)));
                }
            }
        }
        return o;
    }

    /**
     * Triton's repository index: every version of every model and graph, {@code READY} when this replica is ready
     * ({@code notReadyReason} null), else {@code UNAVAILABLE} with the reason; {@code onlyReady} keeps the ready ones.
     */
    public static ArrayNode index(ModelRepository repository, String notReadyReason, boolean onlyReady) {
        ArrayNode out = OipJson.MAPPER.createArrayNode();
        if (onlyReady && notReadyReason != null) {
            return out;
        }
        for (ModelRepository.ModelEntry m : repository.models()) {
            for (String v : m.versions()) {
                ObjectNode e = out.addObject();
                e.put("name", m.name());
                e.put("version", v);
                e.put("state", notReadyReason == null ? "READY" : "UNAVAILABLE");
                e.put("reason", notReadyReason == null ? "" : notReadyReason);
            }
        }
        return out;
    }

    private static ObjectNode object() {
        return OipJson.MAPPER.createObjectNode();
    }

    /** Triton's {@code ModelConfig} as JSON: name, platform, max_batch_size, input, output, batching, instances. */
    private static ObjectNode config(String name, ModelConfig c) {
        ObjectNode o = object();
        o.put("name", name);
        o.put("platform", "pytorch_libtorch"); // Triton's name for TorchScript models
        o.put("backend", "pytorch");
        o.put("max_batch_size", c.maxBatchSize());
        tensors(o.putArray("input"), c.inputs());
        tensors(o.putArray("output"), c.outputs());
        // The job batches every model; its delay and sizes live in the job's config, which the bridge does not read.
        o.putObject("dynamic_batching");
        ObjectNode group = o.putArray("instance_group").addObject();
        group.put("name", name);
        group.put("count", c.workers());
        DeviceSpec.Type d = c.device().type();
        group.put("kind", d == DeviceSpec.Type.GPU ? "KIND_GPU" : d == DeviceSpec.Type.CPU ? "KIND_CPU" : "KIND_AUTO");
        if (c.description() != null) {
            o.putObject("parameters").putObject("description").put("string_value", c.description());
        }
        return o;
    }

    /**
     * A graph in the shape of Triton's ensemble configuration: platform {@code ensemble}, its inputs and outputs,
     * and {@code ensemble_scheduling.step}, each with its model, version ({@code -1}: the latest), {@code input_map}
     * (model input → the tensor it reads: a graph input, or {@code step.output}; the first of a list) and {@code
     * output_map} (model output → {@code step.output}). Conditions and joins have no Triton field: graph.yaml has
     * them.
     */
    private static ObjectNode ensembleConfig(ModelVersion graph) {
        ModelConfig c = graph.config();
        ObjectNode o = object();
        o.put("name", graph.name());
        o.put("platform", ModelConfig.GRAPH_PLATFORM);
        o.put("max_batch_size", c.maxBatchSize());
        tensors(o.putArray("input"), c.inputs());
        tensors(o.putArray("output"), c.outputs());
        ArrayNode steps = o.putObject("ensemble_scheduling").putArray("step");
        for (GraphStep s : graph.graph().steps()) {
            ObjectNode step = steps.addObject();
            step.put("model_name", s.model());
            step.put("model_version", s.version() == null ? -1 : Long.parseLong(s.version()));
            ObjectNode in = step.putObject("input_map");
            s.inputs().forEach((input, sources) -> in.put(input, sources.get(0).toString()));
            step.putObject("output_map"); // filled below from the tensors the graph reads of this step
        }
        List<TensorRef> read = new ArrayList<>();
        graph.graph().steps().forEach(s -> s.inputs().values().forEach(read::addAll));
        graph.graph().steps().forEach(s -> {
            if (s.when() != null) {
                read.add(s.when().output());
            }
        });
        graph.graph().outputs().values().forEach(read::addAll);
        for (TensorRef r : read) {
            GraphStep producer = r.isGraphInput() ? null : graph.graph().step(r.step());
            if (producer != null) {
                ((ObjectNode) steps.get(graph.graph().steps().indexOf(producer)).get("output_map"))
                        .put(r.tensor(), r.toString());
            }
        }
        if (c.description() != null) {
            o.putObject("parameters").putObject("description").put("string_value", c.description());
        }
        return o;
    }

    /** Triton lists dims without the batch dimension; a tensor of one element per row is dims [1], reshaped to []. */
    private static void tensors(ArrayNode into, List<TensorSpec> specs) {
        for (TensorSpec t : specs) {
            ObjectNode n = into.addObject();
            n.put("name", t.name());
            n.put("data_type", dataType(t.datatype()));
            ArrayNode dims = n.putArray("dims");
            if (t.rank() == 1) {
                dims.add(1);
                n.putObject("reshape").putArray("shape");
            } else {
                for (int i = 1; i < t.rank(); i++) {
                    dims.add(t.dim(i));
                }
            }
        }
    }

    private static String dataType(Datatype d) {
        return d == Datatype.BYTES ? "TYPE_STRING" : "TYPE_" + d.name();
    }

    /** One {@code $model_stat}. */
    private static ObjectNode stat(ModelStats.Entry e) {
        ObjectNode o = object();
        o.put("name", e.model);
        o.put("version", e.version);
        o.put("last_inference", e.lastInferenceMs.get());
        o.put("inference_count", e.inferenceCount.get());
        o.put("execution_count", 0); // batches form in the job; the bridge does not see them
        ObjectNode s = o.putObject("inference_stats");
        duration(s, "success", e.success);
        duration(s, "fail", e.fail);
        duration(s, "queue", e.queue);
        duration(s, "compute_input", null);
        duration(s, "compute_infer", e.compute);
        duration(s, "compute_output", null);
        duration(s, "cache_hit", null);
        o.putArray("batch_stats");
        return o;
    }

    private static void duration(ObjectNode into, String name, ModelStats.Duration d) {
        ObjectNode o = into.putObject(name);
        o.put("count", d == null ? 0 : d.count.get());
        o.put("ns", d == null ? 0 : d.ns.get());
    }
}
