package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.TensorSpec;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Supplier;

/** OIP model metadata and model readiness, answered from the model repository the job also reads. */
final class ModelRoutes {
    private final ModelRepository repository;
    private final Supplier<String> notReadyReason;

    ModelRoutes(ModelRepository repository, Supplier<String> notReadyReason) {
        this.repository = repository;
        this.notReadyReason = notReadyReason;
    }

    void mount(Router router) {
        router.get("/v2/models/:name").handler(this::metadata);
        router.get("/v2/models/:name/versions/:version").handler(this::metadata);
        router.get("/v2/models/:name/ready").handler(this::ready);
        router.get("/v2/models/:name/versions/:version/ready").handler(this::ready);
    }

    private void metadata(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        String version = ctx.pathParam("version");
        ModelVersion v;
        List<String> versions;
        try {
            v = repository.resolve(name, version);
            versions = repository.model(name).versions();
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
            return;
        }
        ModelConfig c = v.config();
        ObjectNode o = Replies.object();
        o.put("name", name);
        if (version != null) {
            o.putArray("versions").add(v.version());
        } else {
            ArrayNode a = o.putArray("versions");
            versions.forEach(a::add);
        }
        o.put("platform", c.platform() == null ? "pytorch_torchscript" : c.platform());
        tensors(o.putArray("inputs"), c.inputs());
        tensors(o.putArray("outputs"), c.outputs());
        Replies.json(ctx, 200, o);
    }

    private static void tensors(ArrayNode into, List<TensorSpec> specs) {
        for (TensorSpec t : specs) {
            ObjectNode n = into.addObject();
            n.put("name", t.name());
            n.put("datatype", t.datatype().name());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
        }
    }

    private void ready(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        try {
            repository.resolve(name, ctx.pathParam("version"));
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
            return;
        }
        String reason = notReadyReason.get();
        ObjectNode o = Replies.object();
        o.put("name", name);
        o.put("ready", reason == null);
        if (reason != null) {
            o.put("reason", reason);
        }
        Replies.json(ctx, reason == null ? 200 : 503, o);
    }
}
