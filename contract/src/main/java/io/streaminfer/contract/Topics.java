package io.streaminfer.contract;

/**
 * Default topic names and layouts, shared by the job, the bridge, the local stack and the Kubernetes manifests.
 * All names are configurable where used.
 */
public final class Topics {
    public static final String REQUESTS = "inference.requests";
    /** Results; each bridge replica reads only its reply partitions, so the partition count bounds the replicas. */
    public static final String RESULTS = "inference.results";
    /** Compacted: the latest status per request ID. */
    public static final String STATUS = "inference.status";
    public static final String DEAD_LETTERS = "inference.dlq";
    /** Compacted, written by the bridge: the outcome of each request's callback (delivered, refused, failed). */
    public static final String CALLBACKS = "inference.callbacks";
    /**
     * Streamed generations' text as it is generated ({@link TokenRecord}); like results, a record goes to the
     * request's reply partition when it named one, so each bridge replica reads only its own.
     */
    public static final String TOKENS = "inference.tokens";
    /** Instructions about requests in flight, e.g. cancel ({@link ControlRecord}); read whole by every subtask. */
    public static final String CONTROL = "inference.control";
    /**
     * Compacted, written by the bridge: the metadata of the files uploaded for batches and of their output files
     * (OpenAI's file objects), key = file ID; a tombstone when a file is deleted.
     */
    public static final String FILES = "inference.files";
    /**
     * Compacted, written by the bridge: the bytes of those files in chunks, key = {@code <file ID>/<chunk number>};
     * all chunks of a file in one partition, where its metadata records their offsets.
     */
    public static final String FILE_CHUNKS = "inference.file-chunks";
    /**
     * Compacted, written by the bridge: batches (OpenAI's batch objects), their progress checkpoints and cancels,
     * keys {@code <batch ID>}, {@code <batch ID>/progress}, {@code <batch ID>/cancel}, all of a batch in the
     * partition of its ID. The bridge replicas share its partitions in a consumer group: a partition's member feeds
     * its batches.
     */
    public static final String BATCHES = "inference.batches";

    /** Partition counts the local stack creates; production sizes them to the job's parallelism and replicas. */
    public static final int DEFAULT_REQUEST_PARTITIONS = 4;
    public static final int DEFAULT_RESULT_PARTITIONS = 8;
    public static final int DEFAULT_STATUS_PARTITIONS = 4;
    public static final int DEFAULT_DEAD_LETTER_PARTITIONS = 1;
    public static final int DEFAULT_CALLBACK_PARTITIONS = 4;
    /** As many as the results topic: a bridge replica's reply partition is the same number in both. */
    public static final int DEFAULT_TOKEN_PARTITIONS = DEFAULT_RESULT_PARTITIONS;
    public static final int DEFAULT_CONTROL_PARTITIONS = 1;
    public static final int DEFAULT_FILE_PARTITIONS = 4;
    public static final int DEFAULT_FILE_CHUNK_PARTITIONS = 4;
    /** Bounds how many bridge replicas feed batches at once (one partition each at least). */
    public static final int DEFAULT_BATCH_PARTITIONS = 4;

    /**
     * {@code max.message.bytes} of the requests, results and dead-letter topics: Kafka's default (1 MiB) would refuse
     * requests the job and the bridge accept (4 MiB by default) and their dead letters; large tensor results too.
     * Clients writing them raise {@code max.request.size} to match.
     */
    public static final int MAX_MESSAGE_BYTES = 16 << 20;

    private Topics() {}

    /**
     * True for the topics that carry whole requests, results or file chunks, and so need {@link #MAX_MESSAGE_BYTES}.
     */
    public static boolean carriesPayloads(String defaultName) {
        return REQUESTS.equals(defaultName) || RESULTS.equals(defaultName) || DEAD_LETTERS.equals(defaultName)
                || FILE_CHUNKS.equals(defaultName);
    }

    /** True for the topics that must be created with {@code cleanup.policy=compact}. */
    public static boolean isCompacted(String defaultName) {
        return STATUS.equals(defaultName) || CALLBACKS.equals(defaultName) || FILES.equals(defaultName)
                || FILE_CHUNKS.equals(defaultName) || BATCHES.equals(defaultName);
    }
}
