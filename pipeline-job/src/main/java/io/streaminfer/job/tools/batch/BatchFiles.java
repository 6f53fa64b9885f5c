package io.streaminfer.job.tools.batch;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A batch's output and error files saved as {@code <batch ID>_output.jsonl} and {@code <batch ID>_error.jsonl}. */
final class BatchFiles {
    private BatchFiles() {}

    /** The paths written: none when the batch has no such files (yet). */
    static List<Path> download(BatchApiClient api, JsonNode batch, Path dir) throws IOException {
        Files.createDirectories(dir);
        String id = batch.path("id").asText();
        List<Path> saved = new ArrayList<>();
        for (String[] f : new String[][] {{"output_file_id", "_output.jsonl"}, {"error_file_id", "_error.jsonl"}}) {
            JsonNode fileId = batch.path(f[0]);
            if (fileId.isTextual()) {
                Path target = dir.resolve(id + f[1]);
                api.download(fileId.asText(), target);
                saved.add(target);
            }
        }
        return saved;
    }
}
