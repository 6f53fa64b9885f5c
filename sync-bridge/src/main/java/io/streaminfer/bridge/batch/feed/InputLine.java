package io.streaminfer.bridge.batch.feed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.batch.store.BatchRecord;
import io.streaminfer.contract.OipJson;
import java.io.IOException;

/**
 * One line of a batch's input file, {@code {"custom_id", "method": "POST", "url", "body"}}, read; or what is wrong
 * with its shape (a validation problem, naming the line).
 *
 * @param index the line's number among the file's non-blank lines, from 0
 * @param lineNumber its line in the file, from 1
 */
record InputLine(long index, long lineNumber, String customId, String url, ObjectNode body) {
    /** The line read, or its problem. */
    sealed interface Read permits Ok, Bad { }

    record Ok(InputLine line) implements Read { }

    record Bad(BatchRecord.Problem problem) implements Read { }

    static Read read(long index, long lineNumber, byte[] bytes, int length) {
        int line = (int) Math.min(Integer.MAX_VALUE, lineNumber);
        JsonNode n;
        try {
            n = OipJson.MAPPER.readTree(bytes, 0, length);
        } catch (JsonProcessingException e) {
            return bad("invalid_json_line", "line " + lineNumber + " is not valid JSON: "
                    + e.getOriginalMessage(), null, line);
        } catch (IOException e) {
            return bad("invalid_json_line", "line " + lineNumber + " could not be read: " + e.getMessage(), null,
                    line);
        }
        if (!(n instanceof ObjectNode o)) {
            return bad("invalid_json_line", "line " + lineNumber + " is not a JSON object", null, line);
        }
        JsonNode customId = o.get("custom_id");
        if (customId == null || !customId.isTextual() || customId.textValue().isEmpty()) {
            return bad("missing_required_parameter", "line " + lineNumber + " has no custom_id (a non-empty string "
                    + "that names the line in the output)", "custom_id", line);
        }
        JsonNode method = o.get("method");
        if (method == null || !method.isTextual()) {
            return bad("missing_required_parameter", "line " + lineNumber + " has no method (POST)", "method", line);
        }
        if (!method.textValue().equals("POST")) {
            return bad("invalid_method", "line " + lineNumber + " has method '" + method.textValue()
                    + "'; only POST is supported", "method", line);
        }
        JsonNode url = o.get("url");
        if (url == null || !url.isTextual()) {
            return bad("missing_required_parameter", "line " + lineNumber + " has no url", "url", line);
        }
        JsonNode body = o.get("body");
        if (!(body instanceof ObjectNode b)) {
            return bad("missing_required_parameter", "line " + lineNumber + " has no body (a JSON object)", "body",
                    line);
        }
        return new Ok(new InputLine(index, lineNumber, customId.textValue(), url.textValue(), b));
    }

    private static Bad bad(String code, String message, String param, int line) {
        return new Bad(new BatchRecord.Problem(code, message, param, line));
    }
}
