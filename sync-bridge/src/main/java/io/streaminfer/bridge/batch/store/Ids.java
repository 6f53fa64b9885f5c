package io.streaminfer.bridge.batch.store;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * IDs in OpenAI's forms: {@code file-<hex>}, {@code batch_<hex>}: the creation time in milliseconds (12 hex digits),
 * so that IDs sort in creation order (lists are newest first, also within a second), then random (unguessable: an ID
 * is what lets a client read a file or a batch). A batch's output and error files and its lines' request IDs follow from the batch's ID, so
 * any replica that resumes a batch writes to the same ones.
 */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Kafka keys (request IDs) the job takes: at most this long. */
    public static final int MAX_REQUEST_ID = 512;

    private Ids() {}

    public static String file() {
        return "file-" + random();
    }

    public static String batch() {
        return "batch_" + random();
    }

    public static String outputFile(String batchId) {
        return "file-" + hex(batchId) + "-output";
    }

    public static String errorFile(String batchId) {
        return "file-" + hex(batchId) + "-errors";
    }

    /** A line's request ID: {@code <batch ID>:<custom_id>}, and {@code #<k>} for each part of a line sent in parts. */
    public static String request(String batchId, String customId, int part, int parts) {
        String id = batchId + ":" + customId;
        return parts == 1 ? id : id + "#" + part;
    }

    /** An output line's {@code id}: {@code batch_req_<hex>_<line>}. */
    public static String outputLine(String batchId, long line) {
        return "batch_req_" + hex(batchId) + "_" + line;
    }

    private static String hex(String batchId) {
        return batchId.startsWith("batch_") ? batchId.substring("batch_".length()) : batchId;
    }

    private static String random() {
        byte[] b = new byte[14];
        RANDOM.nextBytes(b);
        return String.format("%012x", System.currentTimeMillis()) + HexFormat.of().formatHex(b);
    }
}
