package io.streaminfer.bridge.batch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.batch.store.ChunkReader;
import io.streaminfer.bridge.batch.store.FileRecord;
import io.streaminfer.bridge.batch.store.FileStore;
import io.streaminfer.bridge.batch.store.MetaView;
import io.streaminfer.bridge.openai.OpenAiError;
import io.streaminfer.contract.OipJson;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenAI's files API for batches: {@code POST /v1/files} ({@link FileUpload}), {@code GET /v1/files[/{id}]},
 * {@code GET /v1/files/{id}/content} (streamed from Kafka a chunk at a time, as the client reads), {@code DELETE
 * /v1/files/{id}}.
 */
final class FileRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(FileRoutes.class);

    private final Vertx vertx;
    private final MetaView view;
    private final FileStore files;
    private final long maxBytes;
    private final int maxLines;

    FileRoutes(Vertx vertx, MetaView view, FileStore files, long maxBytes, int maxLines) {
        this.vertx = vertx;
        this.view = view;
        this.files = files;
        this.maxBytes = maxBytes;
        this.maxLines = maxLines;
    }

    /** The upload, before any body handler: it streams the body itself. */
    void mountUpload(Router r) {
        r.post("/v1/files").handler(ctx -> new FileUpload(ctx, files, maxBytes, maxLines).start());
    }

    void mount(Router r) {
        r.get("/v1/files").handler(this::list);
        r.get("/v1/files/:id").handler(ctx -> withFile(ctx, f -> Answers.json(ctx, 200, f.openAi())));
        r.get("/v1/files/:id/content").handler(ctx -> withFile(ctx, f -> content(ctx, f)));
        r.delete("/v1/files/:id").handler(ctx -> withFile(ctx, f -> delete(ctx, f)));
    }

    private void withFile(RoutingContext ctx, Consumer<FileRecord> then) {
        Answers.withItem(ctx, view, view::file, "file", then);
    }

    private void list(RoutingContext ctx) {
        String purpose = ctx.queryParams().get("purpose");
        List<FileRecord> all = view.files().stream().filter(f -> purpose == null || purpose.equals(f.purpose()))
                .toList();
        Page<FileRecord> page;
        try {
            page = Page.of(all, FileRecord::id, ctx.queryParams().get("after"), ctx.queryParams().get("limit"),
                    10_000, 10_000);
        } catch (OpenAiError e) {
            Answers.error(ctx, e);
            return;
        }
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        page.items().forEach(f -> data.add(f.openAi()));
        page.describe(o, FileRecord::id);
        Answers.json(ctx, 200, o);
    }

    private void delete(RoutingContext ctx, FileRecord f) {
        Context context = Vertx.currentContext();
        files.delete(f).whenComplete((v, e) -> context.runOnContext(x -> {
            if (e != null) {
                Answers.storeFailed(ctx, e);
                return;
            }
            ObjectNode o = OipJson.MAPPER.createObjectNode();
            o.put("id", f.id());
            o.put("object", "file");
            o.put("deleted", true);
            Answers.json(ctx, 200, o);
        }));
    }

    /** The bytes, chunk by chunk from Kafka on a worker thread, each written once the client took the last. */
    private void content(RoutingContext ctx, FileRecord f) {
        HttpServerResponse response = ctx.response();
        response.putHeader("Content-Type", "application/jsonl");
        response.putHeader("Content-Length", Long.toString(f.bytes()));
        Context context = Vertx.currentContext();
        vertx.executeBlocking(() -> {
            try (ChunkReader reader = files.read(f)) {
                boolean first = true;
                for (byte[] chunk; (chunk = reader.next()) != null; ) {
                    if (response.closed()) {
                        return null;
                    }
                    Buffer b = Buffer.buffer(chunk);
                    boolean head = first;
                    first = false;
                    CompletableFuture<Void> written = new CompletableFuture<>();
                    context.runOnContext(v -> {
                        if (head) {
                            response.setStatusCode(200);
                        }
                        response.write(b).onComplete(ar -> written.complete(null));
                    });
                    written.join();
                }
            }
            return null;
        }, false).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("Could not read file {}: {}", f.id(), ar.cause().toString());
                if (!response.headWritten()) {
                    response.headers().remove("Content-Length");
                    Answers.error(ctx, new OpenAiError(503, "could not read the file from Kafka: "
                            + ar.cause().getMessage(), null, "service_unavailable"));
                } else {
                    response.reset();
                }
            } else if (!response.ended() && !response.closed()) {
                response.end();
            }
        });
    }
}
