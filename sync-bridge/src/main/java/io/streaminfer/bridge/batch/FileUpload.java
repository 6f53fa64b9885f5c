package io.streaminfer.bridge.batch;

import io.streaminfer.bridge.batch.store.Chunk;
import io.streaminfer.bridge.batch.store.FileRecord;
import io.streaminfer.bridge.batch.store.FileStore;
import io.streaminfer.bridge.batch.store.Ids;
import io.streaminfer.bridge.batch.store.LineSplitter;
import io.streaminfer.bridge.openai.OpenAiError;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerFileUpload;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code POST /v1/files} (multipart: {@code file}, {@code purpose=batch}), streamed to Kafka as it comes: the
 * bytes go out a chunk at a time, the upload pausing until the brokers have each, so a 200 MB file never sits in the
 * bridge's memory. Its lines are counted on the way; past the byte or line limit the upload is refused (413, 400)
 * and what was written is deleted. {@code purpose} may come before or after the file.
 */
final class FileUpload {
    private static final Logger LOG = LoggerFactory.getLogger(FileUpload.class);

    private final RoutingContext ctx;
    private final FileStore files;
    private final long maxBytes;
    private final int maxLines;
    private final String fileId = Ids.file();
    private final FileStore.Writer writer;
    private final LineSplitter lines = new LineSplitter(false, (index, number, bytes, length) -> { });
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Context context;
    private long bytes;
    private String filename;
    private boolean sawFile;
    private OpenAiError refused;
    private boolean ended;

    FileUpload(RoutingContext ctx, FileStore files, long maxBytes, int maxLines) {
        this.ctx = ctx;
        this.files = files;
        this.maxBytes = maxBytes;
        this.maxLines = maxLines;
        this.writer = files.writer(fileId);
        this.context = Vertx.currentContext();
    }

    void start() {
        HttpServerRequest request = ctx.request();
        String type = request.getHeader("Content-Type");
        if (type == null || !type.toLowerCase().startsWith("multipart/form-data")) {
            Answers.error(ctx, OpenAiError.badRequest("POST /v1/files takes multipart/form-data with 'file' (JSONL) "
                    + "and 'purpose' (batch)", null));
            return;
        }
        request.setExpectMultipart(true);
        request.uploadHandler(this::upload);
        request.exceptionHandler(e -> abort("the upload broke off: " + e));
        request.endHandler(v -> end(request.formAttributes().get("purpose")));
        ctx.response().closeHandler(v -> {
            if (!ended) {
                abort("the client went away");
            }
        });
    }

    private void upload(HttpServerFileUpload upload) {
        if (!"file".equals(upload.name()) || sawFile) {
            upload.handler(b -> { }); // another file field: read and dropped
            return;
        }
        sawFile = true;
        filename = upload.filename();
        upload.handler(b -> data(upload, b));
    }

    private void data(HttpServerFileUpload upload, Buffer b) {
        if (refused != null) {
            return; // read to the end, then refused
        }
        bytes += b.length();
        if (bytes > maxBytes) {
            refused = new OpenAiError(413, "the file is larger than " + maxBytes + " bytes, the limit of a batch file "
                    + "(OpenAI's is 200 MB): split it into several batches", "file", "file_too_large");
            return;
        }
        byte[] data = b.getBytes();
        lines.feed(data, 0, data.length);
        if (lines.lines() > maxLines) {
            refused = OpenAiError.badRequest("the file has more than " + maxLines + " lines, the limit of a batch "
                    + "file (OpenAI's is 50,000): split it into several batches", "file");
            return;
        }
        pending.write(data, 0, data.length);
        if (pending.size() >= files.chunkBytes()) {
            byte[] all = pending.toByteArray();
            pending.reset();
            int from = 0;
            for (; all.length - from >= files.chunkBytes(); from += files.chunkBytes()) {
                byte[] chunk = Arrays.copyOfRange(all, from, from + files.chunkBytes());
                upload.pause(); // until the brokers have it: the bytes in memory stay about a chunk
                writer.chunk(chunk).whenComplete((c, e) -> context.runOnContext(v -> {
                    if (e != null && refused == null) {
                        refused = new OpenAiError(503, "could not write to Kafka: " + e.getMessage(), null,
                                "service_unavailable");
                    }
                    upload.resume();
                }));
            }
            pending.write(all, from, all.length - from);
        }
    }

    private void end(String purpose) {
        ended = true;
        lines.finish();
        if (refused == null && !sawFile) {
            refused = OpenAiError.badRequest("'file' is required: the JSONL file, as a multipart file field", "file");
        }
        if (refused == null && !FileRecord.PURPOSE_BATCH.equals(purpose)) {
            refused = OpenAiError.badRequest("purpose must be 'batch' (this bridge keeps files for batches), got "
                    + (purpose == null ? "none" : "'" + purpose + "'"), "purpose");
        }
        if (refused == null && lines.lines() > maxLines) {
            refused = OpenAiError.badRequest("the file has more than " + maxLines + " lines", "file");
        }
        if (refused != null) {
            OpenAiError e = refused;
            writer.abort();
            Answers.error(ctx, e);
            return;
        }
        if (pending.size() > 0) {
            writer.chunk(pending.toByteArray());
        }
        writer.written().thenCompose((List<Chunk> chunks) -> files.save(new FileRecord(fileId, bytes,
                System.currentTimeMillis() / 1000, filename == null ? "upload.jsonl" : filename,
                FileRecord.PURPOSE_BATCH, lines.lines(), writer.partition(), chunks)))
                .whenComplete((f, e) -> context.runOnContext(v -> {
                    if (e != null) {
                        writer.abort();
                        Answers.storeFailed(ctx, e);
                    } else {
                        LOG.info("File {} uploaded: {} bytes, {} lines", fileId, bytes, lines.lines());
                        Answers.json(ctx, 200, f.openAi());
                    }
                }));
    }

    private void abort(String why) {
        if (!ended) {
            ended = true;
            LOG.info("Upload of {} given up: {}", fileId, why);
            writer.abort();
        }
    }
}
