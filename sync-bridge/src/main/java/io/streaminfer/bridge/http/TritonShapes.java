package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.infer.ModelStats;
import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.GraphStep;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.TensorRef;
import io.streaminfer.contract.model.TensorSpec;
import java.util.List;

/**
 * Triton's JSON shapes for the model configuration and statistics extensions, filled from what the bridge knows:
 * the model repository's {@code model.yaml} and this replica's {@link ModelStats}. docs/bridge.md ("Triton's model
 * endpoints") lists the fields filled and those left out.
 */
final class TritonShapes {
    private TritonShapes() {}

    /** Triton's {@code ModelConfig} as JSON: name, platform, max_batch_size, input, output, batching, instances. */
    static ObjectNode config(String name, ModelConfig c) {
        ObjectNode o = Replies.object();
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
    static ObjectNode ensembleConfig(ModelVersion graph) {
        ModelConfig c = graph.config();
        ObjectNode o = Replies.object();
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
        List<TensorRef> read = new java.util.ArrayList<>();
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

    static String dataType(Datatype d) {
        return d == Datatype.BYTES ? "TYPE_STRING" : "TYPE_" + d.name();
    }

    /** One {@code $model_stat}. */
    static ObjectNode stat(ModelStats.Entry e) {
        ObjectNode o = Replies.object();
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
