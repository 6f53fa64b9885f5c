package io.streaminfer.bridge.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.batch.feed.BatchEndpoint;
import io.streaminfer.bridge.batch.store.BatchLog;
import io.streaminfer.bridge.batch.store.BatchRecord;
import io.streaminfer.bridge.batch.store.BatchStatus;
import io.streaminfer.bridge.batch.store.FileRecord;
import io.streaminfer.bridge.batch.store.Ids;
import io.streaminfer.bridge.batch.store.MetaView;
import io.streaminfer.bridge.config.BridgeConfig;
import io.streaminfer.bridge.openai.OpenAiError;
import io.streaminfer.contract.OipJson;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * OpenAI's batches API: {@code POST /v1/batches} ({@code input_file_id}, {@code endpoint}, {@code
 * completion_window}, {@code metadata}), {@code GET /v1/batches/{id}}, {@code POST /v1/batches/{id}/cancel},
 * {@code GET /v1/batches} ({@code after}, {@code limit}). A batch is created {@code validating} and written to the
 * batches topic; the replica that owns its partition feeds it. Any replica answers for any batch.
 */
final class BatchRoutes {
    private static final int METADATA_PAIRS = 16;

    private final MetaView view;
    private final BatchLog log;
    private final List<String> windows;

    BatchRoutes(MetaView view, BatchLog log, List<String> completionWindows) {
        this.view = view;
        this.log = log;
        this.windows = List.copyOf(completionWindows);
    }

    void mount(Router r) {
        r.post("/v1/batches").handler(this::create);
        r.get("/v1/batches").handler(this::list);
        r.get("/v1/batches/:id").handler(ctx -> withBatch(ctx, b -> Answers.json(ctx, 200, show(b))));
        r.post("/v1/batches/:id/cancel").handler(ctx -> withBatch(ctx, b -> cancel(ctx, b)));
    }

    private ObjectNode show(BatchRecord b) {
        Long cancel = view.cancelledAt(b.id());
        return b.openAi(view.progress(b.id()), cancel == null ? null : cancel / 1000);
    }

    private void withBatch(RoutingContext ctx, Consumer<BatchRecord> then) {
        Answers.withItem(ctx, view, view::batch, "batch", then);
    }

    private void create(RoutingContext ctx) {
        ObjectNode body;
        try {
            body = body(ctx);
        } catch (OpenAiError e) {
            Answers.error(ctx, e);
            return;
        }
        String endpoint = text(body, "endpoint");
        String fileId = text(body, "input_file_id");
        String window = text(body, "completion_window");
        Map<String, String> metadata;
        try {
            if (fileId == null) {
                throw OpenAiError.badRequest("'input_file_id' is required: the ID of a file uploaded with purpose "
                        + "batch", "input_file_id");
            }
            if (BatchEndpoint.parse(endpoint) == null) {
                throw OpenAiError.badRequest("endpoint must be one of " + BatchEndpoint.SUPPORTED + ", got "
                        + (endpoint == null ? "none" : "'" + endpoint + "'"), "endpoint");
            }
            if (window == null || !windows.contains(window)) {
                throw OpenAiError.badRequest("completion_window must be one of " + windows + " (OpenAI accepts 24h),"
                        + " got " + (window == null ? "none" : "'" + window + "'"), "completion_window");
            }
            metadata = metadata(body.get("metadata"));
        } catch (OpenAiError e) {
            Answers.error(ctx, e);
            return;
        }
        Context context = Vertx.currentContext();
        FileRecord known = view.file(fileId);
        if (known != null) {
            create(ctx, known, endpoint, window, metadata);
            return;
        }
        view.caughtUp().thenRun(() -> context.runOnContext(v -> {
            FileRecord f = view.file(fileId);
            if (f == null) {
                Answers.error(ctx, new OpenAiError(400, "no file with id '" + fileId + "': upload it with POST "
                        + "/v1/files first", "input_file_id", "invalid_file"));
            } else {
                create(ctx, f, endpoint, window, metadata);
            }
        }));
    }

    private void create(RoutingContext ctx, FileRecord input, String endpoint, String window,
            Map<String, String> metadata) {
        if (!FileRecord.PURPOSE_BATCH.equals(input.purpose())) {
            Answers.error(ctx, new OpenAiError(400, "file " + input.id() + " has purpose '" + input.purpose()
                    + "'; a batch's input must have purpose batch", "input_file_id", "invalid_file"));
            return;
        }
        long now = System.currentTimeMillis() / 1000;
        BatchRecord b = BatchRecord.created(Ids.batch(), endpoint, input.id(), window, now,
                now + BridgeConfig.completionWindowMs(window) / 1000, metadata);
        Context context = Vertx.currentContext();
        log.save(b).whenComplete((saved, e) -> context.runOnContext(v -> {
            if (e != null) {
                Answers.storeFailed(ctx, e);
            } else {
                Answers.json(ctx, 200, show(saved));
            }
        }));
    }

    private void cancel(RoutingContext ctx, BatchRecord b) {
        BatchStatus s = b.status();
        if (s == BatchStatus.CANCELLED || view.cancelledAt(b.id()) != null) {
            Answers.json(ctx, 200, show(b)); // cancelling again changes nothing
            return;
        }
        if (s.isFinal()) {
            Answers.error(ctx, new OpenAiError(409, "batch " + b.id() + " is " + s.wire() + ": only a batch that has "
                    + "not ended can be cancelled", null, "batch_not_cancellable"));
            return;
        }
        Context context = Vertx.currentContext();
        log.cancel(b.id(), System.currentTimeMillis()).whenComplete((x, e) -> context.runOnContext(v -> {
            if (e != null) {
                Answers.storeFailed(ctx, e);
            } else {
                Answers.json(ctx, 200, show(view.batch(b.id())));
            }
        }));
    }

    private void list(RoutingContext ctx) {
        Page<BatchRecord> page;
        try {
            page = Page.of(view.batches(), BatchRecord::id, ctx.queryParams().get("after"),
                    ctx.queryParams().get("limit"), 20, 100);
        } catch (OpenAiError e) {
            Answers.error(ctx, e);
            return;
        }
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        page.items().forEach(b -> data.add(show(b)));
        page.describe(o, BatchRecord::id);
        Answers.json(ctx, 200, o);
    }

    private static ObjectNode body(RoutingContext ctx) {
        byte[] bytes = ctx.body() == null || ctx.body().buffer() == null ? null : ctx.body().buffer().getBytes();
        if (bytes == null || bytes.length == 0) {
            throw OpenAiError.badRequest("empty body: expected {\"input_file_id\", \"endpoint\", "
                    + "\"completion_window\"}", null);
        }
        try {
            JsonNode n = OipJson.MAPPER.readTree(bytes);
            if (n instanceof ObjectNode o) {
                return o;
            }
        } catch (IOException e) {
            throw OpenAiError.badRequest("the body is not valid JSON: " + e.getMessage(), null);
        }
        throw OpenAiError.badRequest("the body must be a JSON object", null);
    }

    private static String text(ObjectNode o, String field) {
        JsonNode v = o.get(field);
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    /** OpenAI's metadata: at most 16 pairs, keys up to 64 characters, values strings up to 512. */
    private static Map<String, String> metadata(JsonNode m) {
        if (m == null || m.isNull()) {
            return null;
        }
        if (!m.isObject() || m.size() > METADATA_PAIRS) {
            throw OpenAiError.badRequest("metadata must be an object of at most " + METADATA_PAIRS + " string pairs",
                    "metadata");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().length() > 64 || !e.getValue().isTextual() || e.getValue().textValue().length() > 512) {
                throw OpenAiError.badRequest("metadata '" + e.getKey() + "': keys are at most 64 characters, values "
                        + "strings of at most 512", "metadata");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }
}
