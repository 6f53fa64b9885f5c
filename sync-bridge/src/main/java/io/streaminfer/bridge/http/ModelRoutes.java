package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.infer.ModelStats;
import io.streaminfer.bridge.infer.TritonShapes;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.TensorSpec;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Supplier;

/**
 * OIP model metadata and model readiness, answered from the model repository the job also reads (a graph is served
 * like a model: its metadata lists the graph's inputs and outputs, platform {@code ensemble}); and what
 * Triton's clients call beside them: {@code GET .../config} (Triton's model configuration), {@code GET .../stats}
 * (Triton's statistics, of this replica's sync calls) and {@code POST /v2/repository/index}.
 */
final class ModelRoutes {
    private final ModelRepository repository;
    private final Supplier<String> notReadyReason;
    private final ModelStats stats;

    ModelRoutes(ModelRepository repository, Supplier<String> notReadyReason, ModelStats stats) {
        this.repository = repository;
        this.notReadyReason = notReadyReason;
        this.stats = stats;
    }

    void mount(Router router) {
        // Before "/v2/models/:name", which would take "stats" for a model name.
        router.get("/v2/models/stats").handler(this::stats);
        router.get("/v2/models/:name/stats").handler(this::stats);
        router.get("/v2/models/:name/versions/:version/stats").handler(this::stats);
        router.get("/v2/models/:name/config").handler(this::config);
        router.get("/v2/models/:name/versions/:version/config").handler(this::config);
        router.post("/v2/repository/index").handler(this::index);
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

    private void config(RoutingContext ctx) {
        try {
            Replies.json(ctx, 200, TritonShapes.config(repository.resolve(ctx.pathParam("name"),
                    ctx.pathParam("version"))));
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
        }
    }

    /** Every version of the model (or of every model) unless the path names one. */
    private void stats(RoutingContext ctx) {
        try {
            Replies.json(ctx, 200, TritonShapes.statistics(repository, stats, ctx.pathParam("name"),
                    ctx.pathParam("version")));
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
        }
    }

    /** Triton's repository index: every model version with its state; {@code {"ready": true}} keeps ready ones. */
    private void index(RoutingContext ctx) {
        boolean onlyReady = false;
        if (ctx.body() != null && ctx.body().length() > 0) {
            try {
                onlyReady = OipJson.MAPPER.readTree(ctx.body().buffer().getBytes()).path("ready").asBoolean(false);
            } catch (java.io.IOException e) {
                Replies.error(ctx, 400, "the index request must be JSON like {\"ready\": true}: " + e.getMessage());
                return;
            }
        }
        Replies.json(ctx, 200, TritonShapes.index(repository, notReadyReason.get(), onlyReady));
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
