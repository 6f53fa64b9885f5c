package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.infer.ModelStats;
import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.TensorSpec;
import java.util.List;

/**
 * Triton's JSON shapes for the model configuration and statistics extensions, filled from what the bridge knows:
 * the model repository's {@code model.yaml} and this replica's {@link ModelStats}. The README lists the fields
 * filled and those left out.
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
