package io.streaminfer.bridge.batch.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * A batch as OpenAI's batch object, the value of its record on the batches topic (key = its ID). Written when it is
 * created and at each change of status, by the replica that feeds it; between changes its progress is in its
 * {@link Progress} record and a cancel in its cancel record, which {@link #openAi} folds in. Immutable: each change
 * makes a new one. Times are Unix seconds.
 *
 * <pre>{@code
 * BatchRecord b = BatchRecord.created(id, "/v1/embeddings", fileId, "24h", now, now + 86_400, Map.of());
 * BatchRecord running = b.inProgress(now, 1000);
 * }</pre>
 */
public final class BatchRecord {
    private final ObjectNode o;

    private BatchRecord(ObjectNode o) {
        this.o = o;
    }

    /** One problem of the input, for the batch's {@code errors}. */
    public record Problem(String code, String message, String param, Integer line) { }

    public static BatchRecord created(String id, String endpoint, String inputFileId, String completionWindow,
            long createdAt, long expiresAt, Map<String, String> metadata) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", "batch");
        o.put("endpoint", endpoint);
        o.putNull("errors");
        o.put("input_file_id", inputFileId);
        o.put("completion_window", completionWindow);
        o.put("status", BatchStatus.VALIDATING.wire());
        o.putNull("output_file_id");
        o.putNull("error_file_id");
        o.put("created_at", createdAt);
        for (String t : List.of("in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at",
                "expired_at", "cancelling_at", "cancelled_at")) {
            o.putNull(t);
        }
        o.put("expires_at", expiresAt);
        counts(o, 0, 0, 0);
        if (metadata == null) {
            o.putNull("metadata");
        } else {
            ObjectNode m = o.putObject("metadata");
            metadata.forEach(m::put);
        }
        return new BatchRecord(o);
    }

    private static void counts(ObjectNode o, long total, long completed, long failed) {
        ObjectNode c = o.putObject("request_counts");
        c.put("total", total);
        c.put("completed", completed);
        c.put("failed", failed);
    }

    public String id() {
        return o.get("id").asText();
    }

    public String endpoint() {
        return o.get("endpoint").asText();
    }

    public String inputFileId() {
        return o.get("input_file_id").asText();
    }

    public BatchStatus status() {
        return BatchStatus.of(o.get("status").asText());
    }

    public long createdAt() {
        return o.get("created_at").asLong();
    }

    /** Unix seconds. */
    public long expiresAt() {
        return o.get("expires_at").asLong();
    }

    public long total() {
        return o.path("request_counts").path("total").asLong();
    }

    /** Null until the batch ended with output lines. */
    public String outputFileId() {
        return text("output_file_id");
    }

    public String errorFileId() {
        return text("error_file_id");
    }

    private String text(String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** Validation passed: the lines are being fed. */
    public BatchRecord inProgress(long now, long total) {
        ObjectNode n = o.deepCopy();
        n.put("status", BatchStatus.IN_PROGRESS.wire());
        n.put("in_progress_at", now);
        counts(n, total, 0, 0);
        return new BatchRecord(n);
    }

    /** The input failed validation: nothing ran. */
    public BatchRecord failed(long now, List<Problem> problems) {
        ObjectNode n = o.deepCopy();
        n.put("status", BatchStatus.FAILED.wire());
        n.put("failed_at", now);
        ObjectNode errors = n.putObject("errors");
        errors.put("object", "list");
        ArrayNode data = errors.putArray("data");
        for (Problem p : problems) {
            ObjectNode e = data.addObject();
            e.put("code", p.code());
            e.put("message", p.message());
            if (p.param() == null) {
                e.putNull("param");
            } else {
                e.put("param", p.param());
            }
            if (p.line() == null) {
                e.putNull("line");
            } else {
                e.put("line", p.line());
            }
        }
        return new BatchRecord(n);
    }

    /**
     * Every line answered (or given up: cancelled, expired): the output and error files are being written. The
     * {@code cancelling_at} of a cancel is kept in the object from here on.
     */
    public BatchRecord finalizing(long now, Long cancellingAt) {
        ObjectNode n = o.deepCopy();
        n.put("status", BatchStatus.FINALIZING.wire());
        n.put("finalizing_at", now);
        if (cancellingAt != null) {
            n.put("cancelling_at", cancellingAt);
        }
        return new BatchRecord(n);
    }

    /** The end: {@code completed}, {@code cancelled} or {@code expired}, with its files (null: no such lines). */
    public BatchRecord ended(BatchStatus end, long now, String outputFileId, String errorFileId, long completed,
            long failed) {
        if (end != BatchStatus.COMPLETED && end != BatchStatus.CANCELLED && end != BatchStatus.EXPIRED) {
            throw new IllegalArgumentException("a batch ends completed, cancelled or expired, not " + end);
        }
        ObjectNode n = o.deepCopy();
        n.put("status", end.wire());
        n.put(end.wire() + "_at", now);
        if (outputFileId == null) {
            n.putNull("output_file_id");
        } else {
            n.put("output_file_id", outputFileId);
        }
        if (errorFileId == null) {
            n.putNull("error_file_id");
        } else {
            n.put("error_file_id", errorFileId);
        }
        counts(n, total(), completed, failed);
        return new BatchRecord(n);
    }

    /**
     * OpenAI's batch object as a client sees it: the stored one, with the counts of its latest progress while it
     * runs, and {@code cancelling} (since the cancel's time) when a cancel came and it has not ended.
     */
    public ObjectNode openAi(Progress progress, Long cancelledAtSeconds) {
        ObjectNode n = o.deepCopy();
        BatchStatus s = status();
        if (progress != null && (s == BatchStatus.IN_PROGRESS || s == BatchStatus.FINALIZING)) {
            counts(n, total(), progress.completed(), progress.failed());
        }
        if (cancelledAtSeconds != null && !s.isFinal()) {
            n.put("cancelling_at", cancelledAtSeconds);
            if (s != BatchStatus.FINALIZING) {
                n.put("status", BatchStatus.CANCELLING.wire());
            }
        }
        return n;
    }

    public byte[] toJson() {
        try {
            return OipJson.MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static BatchRecord fromJson(byte[] json) {
        try {
            JsonNode n = OipJson.MAPPER.readTree(json);
            if (!(n instanceof ObjectNode obj) || !obj.hasNonNull("id") || !obj.hasNonNull("status")) {
                throw new IllegalArgumentException("not a batch object");
            }
            BatchStatus.of(obj.get("status").asText());
            return new BatchRecord(obj);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "BatchRecord" + o;
    }
}
