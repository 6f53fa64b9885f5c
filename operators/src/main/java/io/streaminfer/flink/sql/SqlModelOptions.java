package io.streaminfer.flink.sql;

import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.flink.inference.BatchingSettings;
import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code WITH (...)} options of a {@code CREATE MODEL ... WITH ('provider' = 'streaminfer', ...)}, parsed and
 * checked at once: every problem is reported together, each with what to change. Two modes: <b>local</b> (the model
 * repository's models run in the task managers, {@code 'models-dir'}) and <b>remote</b> (an Open Inference Protocol
 * server, {@code 'endpoint'}). Serializable: it travels with the predict function.
 *
 * <pre>{@code
 * SqlModelOptions o = SqlModelOptions.parse(Map.of(
 *         "provider", "streaminfer",
 *         "model", "all-minilm-l6-v2",
 *         "models-dir", "/opt/models",      // or 'endpoint' = 'http://bridge:8080' for the remote mode
 *         "on-error", "null",               // null (default) | skip | fail
 *         "error-column", "error"));        // an OUTPUT column of type STRING that carries a failed row's error
 * }</pre>
 */
public final class SqlModelOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String PROVIDER = "provider";
    public static final String MODEL = "model";
    public static final String MODEL_VERSION = "model-version";
    public static final String MODELS_DIR = "models-dir";
    public static final String ENDPOINT = "endpoint";
    public static final String ON_ERROR = "on-error";
    public static final String ERROR_COLUMN = "error-column";
    public static final String MAX_BATCH_SIZE = "max-batch-size";
    public static final String MAX_BATCH_TOKENS = "max-batch-tokens";
    public static final String MAX_BATCH_ELEMENTS = "max-batch-elements";
    public static final String MAX_DELAY_MS = "max-delay-ms";
    public static final String QUEUE_BATCHES = "queue-batches";
    public static final String WORKERS = "workers";
    public static final String DEVICE = "device";
    public static final String REMOTE_TIMEOUT_MS = "remote.timeout-ms";
    public static final String REMOTE_MAX_ATTEMPTS = "remote.max-attempts";
    public static final String REMOTE_INITIAL_BACKOFF_MS = "remote.initial-backoff-ms";
    public static final String REMOTE_MAX_BACKOFF_MS = "remote.max-backoff-ms";
    public static final String REMOTE_TOKEN = "remote.token";
    public static final String REMOTE_CHECK_METADATA = "remote.check-metadata";
    public static final String GENERATION_MAX_TOKENS = "generation.max-tokens";
    public static final String GENERATION_TEMPERATURE = "generation.temperature";
    public static final String GENERATION_TOP_P = "generation.top-p";
    public static final String GENERATION_SEED = "generation.seed";

    /** Every key with its meaning, for messages and docs. */
    static final Map<String, String> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put(PROVIDER, "'streaminfer'");
        KEYS.put(MODEL, "the model's name (in the repository, or on the remote server); required");
        KEYS.put(MODEL_VERSION, "the version to run; default the latest");
        KEYS.put(MODELS_DIR, "local mode: the model repository folder, on every task manager");
        KEYS.put(ENDPOINT, "remote mode: base URL of an Open Inference Protocol server, e.g. http://bridge:8080");
        KEYS.put(ON_ERROR, "a failed row: null (outputs null, the error column says why; default) | skip (no output "
                + "row) | fail (the query fails)");
        KEYS.put(ERROR_COLUMN, "an OUTPUT column of type STRING that carries a failed row's error (null on success)");
        KEYS.put(MAX_BATCH_SIZE, "most rows per model call; local default the model's max_batch_size, remote 32");
        KEYS.put(MAX_BATCH_TOKENS, "local text models: padded tokens per call; default the model's max_batch_tokens");
        KEYS.put(MAX_BATCH_ELEMENTS, "local tensor models: input elements per call; default the model's own");
        KEYS.put(MAX_DELAY_MS, "how long a row may wait for a fuller batch while another call runs; default 5");
        KEYS.put(QUEUE_BATCHES, "work that may wait, in full batches per worker; default 4");
        KEYS.put(WORKERS, "model calls at once per subtask: local predictors (default the model's workers), remote "
                + "requests in flight (default 4)");
        KEYS.put(DEVICE, "local mode: auto | cpu | gpu | gpu:N; a GPU that Flink assigns to the task wins");
        KEYS.put(REMOTE_TIMEOUT_MS, "remote: timeout of one HTTP attempt; default 30000");
        KEYS.put(REMOTE_MAX_ATTEMPTS, "remote: attempts per request on 5xx, 429, timeouts and connection errors; "
                + "default 4");
        KEYS.put(REMOTE_INITIAL_BACKOFF_MS, "remote: first retry delay, doubled each time; default 100");
        KEYS.put(REMOTE_MAX_BACKOFF_MS, "remote: longest retry delay (a 429's Retry-After is honoured up to it); "
                + "default 5000");
        KEYS.put(REMOTE_TOKEN, "remote: sent as Authorization: Bearer <token>");
        KEYS.put(REMOTE_CHECK_METADATA, "remote: check the columns against the server's model metadata when the "
                + "query is planned; default true");
        KEYS.put(GENERATION_MAX_TOKENS, "generative models: new tokens per row at most; default the model's");
        KEYS.put(GENERATION_TEMPERATURE, "generative models: sampling temperature, 0 is greedy; default 1.0");
        KEYS.put(GENERATION_TOP_P, "generative models: nucleus sampling; default 1.0");
        KEYS.put(GENERATION_SEED, "generative models: a seed, so a row's text is the same in any batch");
    }

    /** What a failed row becomes. */
    public enum OnError {
        /** The row's outputs are null and the error column (if any) carries the error. */
        NULL,
        /** The row has no output row. */
        SKIP,
        /** The query fails (the task fails; Flink's restart strategy decides what follows). */
        FAIL
    }

    private final String model;
    private final String modelVersion;
    private final String modelsDir;
    private final String endpoint;
    private final OnError onError;
    private final String errorColumn;
    private final BatchingSettings batching;
    private final Integer workers;
    private final String device;
    private final long remoteTimeoutMs;
    private final int remoteMaxAttempts;
    private final long remoteInitialBackoffMs;
    private final long remoteMaxBackoffMs;
    private final String remoteToken;
    private final boolean remoteCheckMetadata;
    private final Map<String, Object> generationParameters;

    private SqlModelOptions(Reader r) {
        Map<String, String> options = r.options;
        this.model = r.string(MODEL, null);
        this.modelVersion = r.string(MODEL_VERSION, null);
        this.modelsDir = r.string(MODELS_DIR, null);
        this.endpoint = stripSlash(r.string(ENDPOINT, null));
        this.onError = r.onError();
        this.errorColumn = r.string(ERROR_COLUMN, null);
        int maxBatchSize = (int) r.number(MAX_BATCH_SIZE, endpoint != null ? 32 : 0, 1, 65_536);
        BatchingSettings b = null;
        try {
            b = BatchingSettings.builder()
                    .maxBatchSize(maxBatchSize)
                    .maxBatchTokens(r.number(MAX_BATCH_TOKENS, 0, 1, Long.MAX_VALUE))
                    .maxBatchElements(r.number(MAX_BATCH_ELEMENTS, 0, 1, Long.MAX_VALUE))
                    .maxDelayMs(r.number(MAX_DELAY_MS, 5, 0, 60_000))
                    .queueBatches((int) r.number(QUEUE_BATCHES, 4, 0, 1_000))
                    .build();
        } catch (IllegalArgumentException e) {
            r.problems.add(e.getMessage());
        }
        this.batching = b;
        long w = r.number(WORKERS, 0, 1, 256);
        this.workers = w == 0 ? null : (int) w;
        this.device = r.string(DEVICE, null);
        this.remoteTimeoutMs = r.number(REMOTE_TIMEOUT_MS, 30_000, 1, 3_600_000);
        this.remoteMaxAttempts = (int) r.number(REMOTE_MAX_ATTEMPTS, 4, 1, 100);
        this.remoteInitialBackoffMs = r.number(REMOTE_INITIAL_BACKOFF_MS, 100, 0, 600_000);
        this.remoteMaxBackoffMs = r.number(REMOTE_MAX_BACKOFF_MS, 5_000, 0, 600_000);
        this.remoteToken = r.string(REMOTE_TOKEN, null);
        this.remoteCheckMetadata = r.bool(REMOTE_CHECK_METADATA, true);
        Map<String, Object> g = new LinkedHashMap<>();
        long maxTokens = r.number(GENERATION_MAX_TOKENS, 0, 1, 1 << 20);
        if (maxTokens > 0) {
            g.put("max_tokens", maxTokens);
        }
        Double temperature = r.decimal(GENERATION_TEMPERATURE, 0, 2);
        if (temperature != null) {
            g.put("temperature", temperature);
        }
        Double topP = r.decimal(GENERATION_TOP_P, Double.MIN_VALUE, 1);
        if (topP != null) {
            g.put("top_p", topP);
        }
        if (options.containsKey(GENERATION_SEED)) {
            g.put("seed", r.number(GENERATION_SEED, 0, Long.MIN_VALUE, Long.MAX_VALUE));
        }
        this.generationParameters = Map.copyOf(g);
        r.problems.addAll(crossChecks());
    }

    /**
     * @throws IllegalArgumentException listing every problem, each with what to change
     */
    public static SqlModelOptions parse(Map<String, String> options) {
        Reader r = new Reader(options);
        SqlModelOptions o = new SqlModelOptions(r);
        if (!r.problems.isEmpty()) {
            throw new IllegalArgumentException("model options of provider 'streaminfer' have " + r.problems.size()
                    + " problem(s):\n  - " + String.join("\n  - ", r.problems));
        }
        return o;
    }

    private List<String> crossChecks() {
        List<String> p = new ArrayList<>();
        if (model == null || model.isBlank()) {
            p.add("'" + MODEL + "' is required: the model's name, e.g. 'model' = 'all-minilm-l6-v2'");
        }
        if (modelsDir == null && endpoint == null) {
            p.add("set '" + MODELS_DIR + "' (local mode: the model repository folder on every task manager) or '"
                    + ENDPOINT + "' (remote mode: an Open Inference Protocol server, e.g. 'http://bridge:8080')");
        } else if (modelsDir != null && endpoint != null) {
            p.add("set either '" + MODELS_DIR + "' (local mode) or '" + ENDPOINT + "' (remote mode), not both");
        }
        if (endpoint != null) {
            try {
                URI uri = URI.create(endpoint);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    p.add("'" + ENDPOINT + "' must be an http(s) URL like 'http://bridge:8080', got '" + endpoint
                            + "'");
                }
            } catch (IllegalArgumentException e) {
                p.add("'" + ENDPOINT + "' is not a URL: " + e.getMessage());
            }
            if (device != null) {
                p.add("'" + DEVICE + "' applies to the local mode only: the remote server picks its device");
            }
            if (batching != null && (batching.maxBatchTokens() > 0 || batching.maxBatchElements() > 0)) {
                p.add("'" + MAX_BATCH_TOKENS + "' and '" + MAX_BATCH_ELEMENTS + "' apply to the local mode only; "
                        + "a remote batch is bounded by '" + MAX_BATCH_SIZE + "'");
            }
        }
        if (device != null) {
            try {
                DeviceSpec.parse(device);
            } catch (IllegalArgumentException e) {
                p.add("'" + DEVICE + "': " + e.getMessage());
            }
        }
        if (remoteMaxBackoffMs < remoteInitialBackoffMs) {
            p.add("'" + REMOTE_MAX_BACKOFF_MS + "' (" + remoteMaxBackoffMs + ") must be >= '"
                    + REMOTE_INITIAL_BACKOFF_MS + "' (" + remoteInitialBackoffMs + ")");
        }
        return p;
    }

    private static String stripSlash(String s) {
        return s != null && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    public boolean remote() {
        return endpoint != null;
    }

    public String model() {
        return model;
    }

    /** Null: the latest. */
    public String modelVersion() {
        return modelVersion;
    }

    public String modelsDir() {
        return modelsDir;
    }

    /** Without a trailing slash; null in local mode. */
    public String endpoint() {
        return endpoint;
    }

    public OnError onError() {
        return onError;
    }

    /** Null when the query has no error column. */
    public String errorColumn() {
        return errorColumn;
    }

    public BatchingSettings batching() {
        return batching;
    }

    /** Null: the model's own (local) or 4 (remote). */
    public Integer workers() {
        return workers;
    }

    public String device() {
        return device;
    }

    public long remoteTimeoutMs() {
        return remoteTimeoutMs;
    }

    public int remoteMaxAttempts() {
        return remoteMaxAttempts;
    }

    public long remoteInitialBackoffMs() {
        return remoteInitialBackoffMs;
    }

    public long remoteMaxBackoffMs() {
        return remoteMaxBackoffMs;
    }

    /**
     * The {@code generation.*} options as request parameters ({@code max_tokens}, {@code temperature}, ...), sent
     * with every row of a generative model; empty when none is set.
     */
    public Map<String, Object> generationParameters() {
        return generationParameters;
    }

    public String remoteToken() {
        return remoteToken;
    }

    public boolean remoteCheckMetadata() {
        return remoteCheckMetadata;
    }

    /** Reads values off the option map, collecting problems instead of stopping at the first. */
    private static final class Reader {
        final Map<String, String> options;
        final List<String> problems = new ArrayList<>();

        Reader(Map<String, String> options) {
            this.options = options;
            for (String key : new TreeSet<>(options.keySet())) {
                if (!KEYS.containsKey(key)) {
                    problems.add("unknown option '" + key + "'" + closest(key) + "; the options are "
                            + KEYS.keySet());
                }
            }
        }

        private static String closest(String key) {
            String best = null;
            int bestDistance = Integer.MAX_VALUE;
            for (String k : KEYS.keySet()) {
                int d = distance(key, k);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = k;
                }
            }
            return bestDistance <= 3 ? " (did you mean '" + best + "'?)" : "";
        }

        private static int distance(String a, String b) {
            int[] prev = new int[b.length() + 1];
            int[] cur = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                prev[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                cur[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                    cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
                }
                int[] t = prev;
                prev = cur;
                cur = t;
            }
            return prev[b.length()];
        }

        String string(String key, String dflt) {
            String v = options.get(key);
            if (v == null) {
                return dflt;
            }
            if (v.isBlank()) {
                problems.add("'" + key + "' is empty; remove it or give it a value (" + KEYS.get(key) + ")");
                return dflt;
            }
            return v.trim();
        }

        long number(String key, long dflt, long min, long max) {
            String v = options.get(key);
            if (v == null) {
                return dflt;
            }
            try {
                long n = Long.parseLong(v.trim());
                if (n < min || n > max) {
                    problems.add("'" + key + "' must be between " + min + " and " + max + ", got " + n);
                    return dflt;
                }
                return n;
            } catch (NumberFormatException e) {
                problems.add("'" + key + "' must be a whole number, got '" + v + "'");
                return dflt;
            }
        }

        /** A decimal option, or null when absent (or wrong: then it is a problem). */
        Double decimal(String key, double min, double max) {
            String v = options.get(key);
            if (v == null) {
                return null;
            }
            try {
                double d = Double.parseDouble(v.trim());
                if (!(d >= min && d <= max)) {
                    problems.add("'" + key + "' must be between " + (min == Double.MIN_VALUE ? "0 (exclusive)" : min)
                            + " and " + max + ", got " + d);
                    return null;
                }
                return d;
            } catch (NumberFormatException e) {
                problems.add("'" + key + "' must be a number, got '" + v + "'");
                return null;
            }
        }

        boolean bool(String key, boolean dflt) {
            String v = options.get(key);
            if (v == null) {
                return dflt;
            }
            switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "true":
                    return true;
                case "false":
                    return false;
                default:
                    problems.add("'" + key + "' must be true or false, got '" + v + "'");
                    return dflt;
            }
        }

        OnError onError() {
            String v = options.get(ON_ERROR);
            if (v == null) {
                return OnError.NULL;
            }
            try {
                return OnError.valueOf(v.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add("'" + ON_ERROR + "' must be null, skip or fail, got '" + v + "'");
                return OnError.NULL;
            }
        }
    }
}
