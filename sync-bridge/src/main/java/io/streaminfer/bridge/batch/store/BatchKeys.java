package io.streaminfer.bridge.batch.store;

/**
 * Keys of the batches topic: {@code <batch ID>} (the batch object), {@code <batch ID>/progress} (its checkpoint),
 * {@code <batch ID>/cancel} (a cancel). Batch IDs have no {@code /}.
 */
public final class BatchKeys {
    static final String PROGRESS = "/progress";
    static final String CANCEL = "/cancel";

    private BatchKeys() {}

    /** What a key is about. */
    public enum Kind { BATCH, PROGRESS, CANCEL, OTHER }

    public static Kind kind(String key) {
        int slash = key.indexOf('/');
        if (slash < 0) {
            return Kind.BATCH;
        }
        return switch (key.substring(slash)) {
            case PROGRESS -> Kind.PROGRESS;
            case CANCEL -> Kind.CANCEL;
            default -> Kind.OTHER;
        };
    }

    /** The batch a key is about. */
    public static String batchId(String key) {
        int slash = key.indexOf('/');
        return slash < 0 ? key : key.substring(0, slash);
    }
}
