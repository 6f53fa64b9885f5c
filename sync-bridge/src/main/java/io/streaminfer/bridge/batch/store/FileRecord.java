package io.streaminfer.bridge.batch.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A stored file: OpenAI's file object ({@link #openAi()}) and where its bytes are, its chunks in one partition of the
 * file-chunks topic, in order. The value of its record on the files topic (key = its ID).
 *
 * @param createdAt Unix seconds, as OpenAI's objects count time
 * @param lines the JSONL lines that are not blank
 * @param purpose {@code batch} for uploads, {@code batch_output} for a batch's output and error files
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FileRecord(@JsonProperty("id") String id, @JsonProperty("bytes") long bytes,
        @JsonProperty("created_at") long createdAt, @JsonProperty("filename") String filename,
        @JsonProperty("purpose") String purpose, @JsonProperty("lines") long lines,
        @JsonProperty("partition") int partition, @JsonProperty("chunks") List<Chunk> chunks) {
    public static final String PURPOSE_BATCH = "batch";
    public static final String PURPOSE_OUTPUT = "batch_output";

    public FileRecord {
        chunks = List.copyOf(chunks);
    }

    /** OpenAI's file object. */
    public ObjectNode openAi() {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", "file");
        o.put("bytes", bytes);
        o.put("created_at", createdAt);
        o.putNull("expires_at");
        o.put("filename", filename);
        o.put("purpose", purpose);
        o.put("status", "processed");
        o.putNull("status_details");
        return o;
    }

    public byte[] toJson() {
        try {
            return OipJson.MAPPER.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static FileRecord fromJson(byte[] json) {
        try {
            return OipJson.MAPPER.readValue(json, FileRecord.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
