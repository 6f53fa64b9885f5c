package io.streaminfer.bridge.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.streaminfer.contract.Topics;
import io.streaminfer.tracing.TracingSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bridge's one configuration file (YAML, kebab-case keys), with the defaults a user gets when a key is absent.
 * Every problem is reported at start-up, at once, saying what to change; unknown keys are refused. Secrets may come
 * from the environment instead of the file: {@value #ENV_TOKENS} (comma-separated API tokens) and
 * {@value #ENV_CALLBACK_SECRET}. {@code deploy/local/bridge.yaml} is an annotated example.
 *
 * <pre>{@code
 * BridgeConfig config = BridgeConfig.load(Path.of("bridge.yaml"));   // parses, applies the environment, validates
 * }</pre>
 */
public final class BridgeConfig {
    public static final String ENV_TOKENS = "STREAMINFER_BRIDGE_TOKENS";
    public static final String ENV_CALLBACK_SECRET = "STREAMINFER_CALLBACK_SECRET";

    /** Names this replica in reply routing; default: the host name. Must be unique among running replicas. */
    public String replicaId;
    /** The model repository (model.yaml per model): metadata and request validation before anything is sent. */
    public String modelsDir = "deploy/models";
    public Http http = new Http();
    public Grpc grpc = new Grpc();
    public Kafka kafka = new Kafka();
    public TopicNames topics = new TopicNames();
    public Reply reply = new Reply();
    public Timeouts timeouts = new Timeouts();
    public Auth auth = new Auth();
    public Jobs jobs = new Jobs();
    public Callbacks callbacks = new Callbacks();
    public Readiness readiness = new Readiness();
    public Flink flink = new Flink();
    public Streams streams = new Streams();
    public Generation generation = new Generation();
    public Batches batches = new Batches();
    public Tracing tracing = new Tracing();

    public static final class Http {
        public String host = "0.0.0.0";
        public int port = 8080;
        /** Larger bodies get 413. Keep it at or below the job's {@code limits.max-request-bytes}. */
        public int maxBodyBytes = 4 << 20;
        /** Sync calls waiting at once on this replica; more get 429 with Retry-After. */
        public int maxInFlight = 10_000;
        /** Seconds a shed caller is told to wait (Retry-After). */
        public int retryAfterSeconds = 1;
        /**
         * Request bytes (HTTP bodies, gRPC messages) this replica holds at once; beyond it callers get 429 with
         * Retry-After (gRPC: RESOURCE_EXHAUSTED). 0: an eighth of the JVM's heap.
         */
        public long maxBufferedBytes = 0;
    }

    /** The KServe v2 gRPC endpoint ({@code inference.GRPCInferenceService}) on its own port. */
    public static final class Grpc {
        public boolean enabled = true;
        /** Null: the HTTP host. */
        public String host;
        /** Triton's gRPC port by default; 0 picks a free one. */
        public int port = 8001;
    }

    public static final class Kafka {
        public String bootstrapServers = "localhost:9092";
        /** The pipeline job's consumer group: readiness checks that it is consuming the requests topic. */
        public String jobGroupId = "streaminfer-job";
        /** Extra client properties for every client: security.protocol, sasl.*, ssl.*, and so on. */
        public Map<String, String> properties = new LinkedHashMap<>();
    }

    public static final class TopicNames {
        public String requests = Topics.REQUESTS;
        public String results = Topics.RESULTS;
        public String status = Topics.STATUS;
        public String callbacks = Topics.CALLBACKS;
        /** Streamed generations' text; read (and required) only when the repository has a generative model. */
        public String tokens = Topics.TOKENS;
        /** Where cancels go; written (and required) only when the repository has a generative model. */
        public String control = Topics.CONTROL;
        /** The batch API's file metadata (compacted); used (and required) when batches are enabled. */
        public String files = Topics.FILES;
        /** The batch API's file bytes in chunks (compacted). */
        public String fileChunks = Topics.FILE_CHUNKS;
        /** Batches, their progress and cancels (compacted); its partitions are shared out among the replicas. */
        public String batches = Topics.BATCHES;
    }

    public static final class Reply {
        /**
         * Results-topic partitions this replica reads its sync replies from. Empty: one partition chosen from the
         * replica ID's hash (set explicit, disjoint lists, e.g. from a StatefulSet ordinal, to avoid sharing).
         */
        public List<Integer> partitions = new ArrayList<>();
    }

    public static final class Timeouts {
        /** A sync call's wait when the request names no timeout. */
        public long defaultMs = 30_000;
        /** The longest wait a caller may ask for (OIP parameters.timeout or the X-Timeout-Ms header). */
        public long maxMs = 300_000;
    }

    public static final class Auth {
        /** Accepted bearer tokens / API keys; empty (and no environment variable): no authentication. */
        public List<String> tokens = new ArrayList<>();
    }

    public static final class Jobs {
        /** Jobs (request IDs) whose status this replica keeps in memory; the oldest are forgotten first. */
        public int maxTracked = 200_000;
        /** Results kept in memory after a lookup. */
        public int resultCacheEntries = 10_000;
        /** How far around a job's status times a result is searched for on the results topic. */
        public long resultSearchSlackMs = 120_000;
    }

    public static final class Callbacks {
        public boolean enabled = true;
        /** Consumer group of the replicas that deliver callbacks: each result's callback is sent by one of them. */
        public String groupId = "streaminfer-bridge-callbacks";
        /** HMAC-SHA256 key of the signature header; required when callbacks are enabled. */
        public String secret;
        public int maxAttempts = 6;
        public long initialBackoffMs = 500;
        public long maxBackoffMs = 30_000;
        public long connectTimeoutMs = 5_000;
        public long requestTimeoutMs = 10_000;
        /**
         * Hosts or CIDR ranges callbacks may reach although they are loopback, private, link-local or metadata
         * addresses (e.g. {@code 127.0.0.1/32}, {@code hooks.internal}). Everything else public is allowed.
         */
        public List<String> allow = new ArrayList<>();
    }

    public static final class Readiness {
        /**
         * Require proof that the pipeline job consumes: its consumer group's committed offsets on the requests topic,
         * or (before any are committed) its answer to one probe request.
         */
        public boolean requireJob = true;
        /** Not ready when requests wait and the job's committed offsets have not moved for this long. */
        public long stallMs = 60_000;
        public long checkIntervalMs = 2_000;
        /** How long a readiness probe request (sent while the job has committed no offsets) may take. */
        public long probeTimeoutMs = 60_000;
        /**
         * How long the pipeline job may be gone (no job of that name, only FAILED / CANCELED / FINISHED ones, or no
         * sign of a consumer) before it counts as unable to run: then every request is refused (503) and the replica
         * is not ready. Longer than a redeployment takes (stop with a savepoint, submit). A job that restarts is never
         * gone: its requests wait in Kafka.
         */
        public long jobGoneGraceMs = 30_000;
    }

    /** Optional: Flink's REST API, so readiness can say why the pipeline job takes no requests (plain HTTP). */
    public static final class Flink {
        /** e.g. http://localhost:8081; absent: readiness judges the job by its Kafka offsets alone. */
        public String restUrl;
        /** The pipeline job's name on that cluster (the job config's job-name). */
        public String jobName = "streaminfer";
    }

    /** Responses that stay open: server-sent events (job events, streamed completions) and gRPC streams. */
    public static final class Streams {
        /** Streams open at once on this replica; more get 429 with Retry-After (gRPC: RESOURCE_EXHAUSTED). */
        public int maxOpen = 256;
        /** An idle server-sent event stream gets a ':' comment line this often, so proxies keep it open. */
        public long keepAliveMs = 15_000;
    }

    /** Generative models over HTTP and gRPC (OpenAI's API, Triton's generate, ModelStreamInfer). */
    public static final class Generation {
        /**
         * How long a sync generation may take when the request names no timeout (X-Timeout-Ms, parameters.timeout);
         * the job gets it as the request's deadline, so an abandoned generation stops. Capped by timeouts.max-ms.
         */
        public long timeoutMs = 300_000;
    }

    /** OpenAI's Batch API ({@code /v1/files}, {@code /v1/batches}) on the stream (docs/batch.md). */
    public static final class Batches {
        public boolean enabled = true;
        /** Consumer group of the replicas that feed batches: each partition of topics.batches has one feeder. */
        public String groupId = "streaminfer-bridge-batches";
        /**
         * The priority this replica gives its online calls (sync, async, OpenAI, gRPC) that name none, so that they
         * run before batch lines, which name none (the default level, after every explicit one). The default is the
         * least urgent explicit level: after every level a caller names, as before. 0: give none.
         */
        public int onlinePriority = Integer.MAX_VALUE - 1;
        /** The completion windows POST /v1/batches accepts; OpenAI accepts 24h only. Each: a number and h or m. */
        public List<String> completionWindows = new ArrayList<>(List.of("24h"));
        /** A file's largest size (OpenAI: 200 MB). */
        public long maxFileBytes = 200L << 20;
        /** A batch file's most lines (OpenAI: 50,000). */
        public int maxFileLines = 50_000;
        /** Bytes per record of topics.file-chunks. */
        public int chunkBytes = 1 << 20;
        /**
         * Requests of batch lines in flight from this replica: the feeder adapts its window between min-window and
         * max-window by the lines' latency, so the job's queues never fill with batch lines.
         */
        public int minWindow = 2;
        public int maxWindow = 256;
        /**
         * The latency of batch lines the window allows, as a multiple of the lowest it has seen: above it the
         * window shrinks (the job's queues hold batch lines that online calls would wait behind), below it grows.
         */
        public double latencyTolerance = 2.0;
        /** How often a running batch's progress is checkpointed (its output flushed and its counts published). */
        public long checkpointIntervalMs = 1_000;
        /** A line without an answer this long is sent again (the job answers a repeated ID once). */
        public long resendAfterMs = 600_000;
        /** How long cancelling waits for the lines already sent before it gives them up as cancelled. */
        public long cancelGraceMs = 600_000;
    }

    /**
     * Tracing of calls with OpenTelemetry (docs/tracing.md): off by default. The standard OTEL_* environment
     * variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...) win over these where both are set.
     */
    public static final class Tracing {
        public boolean enabled = false;
        /** The share of calls traced that bring no traceparent; one whose traceparent is sampled always is. */
        public double samplerRatio = 1.0;
        public TraceExporter exporter = TraceExporter.OTLP;
        /**
         * otlp: the collector's base URL (default OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318); zipkin:
         * its spans API (default http://localhost:9411/api/v2/spans).
         */
        public String endpoint;
        public String serviceName = "streaminfer-bridge";

        /** The SDK's settings; call on a validated config. */
        public TracingSettings settings() {
            return TracingSettings.builder().enabled(enabled).samplerRatio(samplerRatio).exporter(exporter.exporter)
                    .endpoint(endpoint).serviceName(serviceName).build();
        }
    }

    /** Where spans go: OTLP over HTTP (http/protobuf), or Zipkin's v2 API (the local stack's viewer). */
    public enum TraceExporter {
        @JsonProperty("otlp") OTLP(TracingSettings.Exporter.OTLP),
        @JsonProperty("zipkin") ZIPKIN(TracingSettings.Exporter.ZIPKIN);

        final TracingSettings.Exporter exporter;

        TraceExporter(TracingSettings.Exporter exporter) {
            this.exporter = exporter;
        }
    }

    private static ObjectMapper mapper() {
        return new ObjectMapper(new YAMLFactory())
                .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** Reads, applies the environment, and validates. */
    public static BridgeConfig load(Path file) {
        try {
            return parse(Files.readString(file), System.getenv());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the bridge config " + file + ": " + e.getMessage(), e);
        }
    }

    public static BridgeConfig parse(String yaml, Map<String, String> env) {
        BridgeConfig c;
        try {
            // A file of comments only has no content: it means "all defaults", like an empty one.
            com.fasterxml.jackson.databind.JsonNode tree = yaml == null ? null : mapper().readTree(yaml);
            c = tree == null || tree.isMissingNode() || tree.isNull() ? new BridgeConfig()
                    : mapper().treeToValue(tree, BridgeConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException("unknown key '" + e.getPropertyName() + "' in the bridge config at "
                    + e.getPathReference() + "; known keys there: " + e.getKnownPropertyIds(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("the bridge config is not valid YAML: " + e.getMessage(), e);
        }
        if (c == null) {
            c = new BridgeConfig();
        }
        c.fillEmptySections();
        c.applyEnvironment(env);
        c.validate();
        return c;
    }

    /** A key written with nothing after it reads as null: it means that section's defaults. */
    private void fillEmptySections() {
        http = http == null ? new Http() : http;
        grpc = grpc == null ? new Grpc() : grpc;
        kafka = kafka == null ? new Kafka() : kafka;
        kafka.properties = kafka.properties == null ? new LinkedHashMap<>() : kafka.properties;
        topics = topics == null ? new TopicNames() : topics;
        reply = reply == null ? new Reply() : reply;
        reply.partitions = reply.partitions == null ? new ArrayList<>() : new ArrayList<>(reply.partitions);
        timeouts = timeouts == null ? new Timeouts() : timeouts;
        auth = auth == null ? new Auth() : auth;
        auth.tokens = auth.tokens == null ? new ArrayList<>() : new ArrayList<>(auth.tokens);
        jobs = jobs == null ? new Jobs() : jobs;
        callbacks = callbacks == null ? new Callbacks() : callbacks;
        callbacks.allow = callbacks.allow == null ? new ArrayList<>() : callbacks.allow;
        readiness = readiness == null ? new Readiness() : readiness;
        flink = flink == null ? new Flink() : flink;
        streams = streams == null ? new Streams() : streams;
        generation = generation == null ? new Generation() : generation;
        batches = batches == null ? new Batches() : batches;
        batches.completionWindows = batches.completionWindows == null ? new ArrayList<>()
                : new ArrayList<>(batches.completionWindows);
        tracing = tracing == null ? new Tracing() : tracing;
    }

    private void applyEnvironment(Map<String, String> env) {
        String tokens = env.get(ENV_TOKENS);
        if (tokens != null && !tokens.isBlank()) {
            for (String t : tokens.split(",")) {
                if (!t.isBlank()) {
                    auth.tokens.add(t.trim());
                }
            }
        }
        String secret = env.get(ENV_CALLBACK_SECRET);
        if (secret != null && !secret.isBlank()) {
            callbacks.secret = secret;
        }
        if (replicaId == null || replicaId.isBlank()) {
            replicaId = hostName(env);
        }
    }

    /** The pod name on Kubernetes (HOSTNAME), else the machine's. */
    private static String hostName(Map<String, String> env) {
        String name = env.get("HOSTNAME");
        if (name != null && !name.isBlank()) {
            return name;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "bridge";
        }
    }

    /** Checks everything and throws one exception listing every problem with what to change. */
    public void validate() {
        List<String> problems = new ArrayList<>();
        if (replicaId == null || !replicaId.matches("[A-Za-z0-9._:-]{1,128}")) {
            problems.add("replica-id '" + replicaId + "' must be 1-128 letters, digits or . _ : -");
        }
        if (modelsDir == null || !Files.isDirectory(Path.of(modelsDir))) {
            problems.add("models-dir '" + modelsDir + "' is not a directory: point it at the model repository "
                    + "(the folder with one sub-folder per model and its model.yaml)");
        }
        if (http.port < 0 || http.port > 65535) {
            problems.add("http.port must be 0-65535 (0 picks a free port), got " + http.port);
        }
        if (http.maxBodyBytes < 1024) {
            problems.add("http.max-body-bytes must be at least 1024, got " + http.maxBodyBytes);
        }
        if (http.maxInFlight < 1) {
            problems.add("http.max-in-flight must be positive, got " + http.maxInFlight);
        }
        if (http.maxBufferedBytes != 0 && http.maxBufferedBytes < http.maxBodyBytes) {
            problems.add("http.max-buffered-bytes must be 0 (an eighth of the heap) or at least http.max-body-bytes ("
                    + http.maxBodyBytes + "), got " + http.maxBufferedBytes);
        }
        if (grpc.enabled && (grpc.port < 0 || grpc.port > 65535)) {
            problems.add("grpc.port must be 0-65535 (0 picks a free port), got " + grpc.port);
        }
        if (grpc.enabled && grpc.port != 0 && grpc.port == http.port
                && (grpc.host == null || grpc.host.equals(http.host))) {
            problems.add("grpc.port and http.port are both " + http.port + ": give gRPC its own port (default 8001)");
        }
        if (http.retryAfterSeconds < 1) {
            problems.add("http.retry-after-seconds must be positive, got " + http.retryAfterSeconds);
        }
        if (kafka.bootstrapServers == null || kafka.bootstrapServers.isBlank()) {
            problems.add("kafka.bootstrap-servers is empty: set host:port of at least one broker");
        }
        for (String[] t : new String[][] {{"requests", topics.requests}, {"results", topics.results},
                {"status", topics.status}, {"callbacks", topics.callbacks}, {"tokens", topics.tokens},
                {"control", topics.control}, {"files", topics.files}, {"file-chunks", topics.fileChunks},
                {"batches", topics.batches}}) {
            if (t[1] == null || t[1].isBlank()) {
                problems.add("topics." + t[0] + " is empty");
            }
        }
        for (Integer p : reply.partitions) {
            if (p == null || p < 0) {
                problems.add("reply.partitions must hold partition numbers >= 0, got " + reply.partitions);
                break;
            }
        }
        problems.addAll(TracingSettings.problems(tracing.samplerRatio,
                tracing.exporter == null ? null : tracing.exporter.exporter, tracing.endpoint, tracing.serviceName));
        if (timeouts.defaultMs < 1 || timeouts.maxMs < timeouts.defaultMs) {
            problems.add("timeouts: need 0 < default-ms <= max-ms, got default-ms=" + timeouts.defaultMs
                    + ", max-ms=" + timeouts.maxMs);
        }
        for (String t : auth.tokens) {
            if (t == null || t.length() < 16) {
                problems.add("auth.tokens: every token must be at least 16 characters (a guessable token is no "
                        + "protection)");
                break;
            }
        }
        if (jobs.maxTracked < 1 || jobs.resultCacheEntries < 0 || jobs.resultSearchSlackMs < 0) {
            problems.add("jobs: max-tracked must be positive, result-cache-entries and result-search-slack-ms >= 0");
        }
        if (callbacks.enabled) {
            if (callbacks.secret == null || callbacks.secret.length() < 16) {
                problems.add("callbacks.secret must be set (at least 16 characters) to sign callbacks: set it in "
                        + "the file or in " + ENV_CALLBACK_SECRET + ", or set callbacks.enabled: false");
            }
            if (callbacks.maxAttempts < 1 || callbacks.initialBackoffMs < 1
                    || callbacks.maxBackoffMs < callbacks.initialBackoffMs) {
                problems.add("callbacks: need max-attempts >= 1 and 1 <= initial-backoff-ms <= max-backoff-ms");
            }
            if (callbacks.connectTimeoutMs < 1 || callbacks.requestTimeoutMs < 1) {
                problems.add("callbacks: connect-timeout-ms and request-timeout-ms must be positive");
            }
            for (String a : callbacks.allow) {
                try {
                    io.streaminfer.bridge.callback.AddressPolicy.parseRule(a);
                } catch (IllegalArgumentException e) {
                    problems.add("callbacks.allow: " + e.getMessage());
                }
            }
        }
        if (readiness.stallMs < 1 || readiness.checkIntervalMs < 1 || readiness.probeTimeoutMs < 1) {
            problems.add("readiness: stall-ms, check-interval-ms and probe-timeout-ms must be positive");
        }
        if (readiness.jobGoneGraceMs < 0) {
            problems.add("readiness.job-gone-grace-ms must be 0 or more, got " + readiness.jobGoneGraceMs);
        }
        if (flink.restUrl != null && !flink.restUrl.isBlank()) {
            if (!flink.restUrl.matches("https?://[^/\\s]+(/\\S*)?")) {
                problems.add("flink.rest-url must be http(s)://host:port of Flink's REST API, got '" + flink.restUrl
                        + "'");
            }
            if (flink.jobName == null || flink.jobName.isBlank()) {
                problems.add("flink.job-name is empty: name the pipeline job (the job config's job-name)");
            }
        }
        if (streams.maxOpen < 1) {
            problems.add("streams.max-open must be positive, got " + streams.maxOpen);
        }
        if (streams.keepAliveMs < 100) {
            problems.add("streams.keep-alive-ms must be at least 100, got " + streams.keepAliveMs);
        }
        if (generation.timeoutMs < 1) {
            problems.add("generation.timeout-ms must be positive, got " + generation.timeoutMs);
        }
        validateBatches(problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid bridge config:\n  - " + String.join("\n  - ", problems));
        }
    }

    private void validateBatches(List<String> problems) {
        Batches b = batches;
        if (b.onlinePriority < 0) {
            problems.add("batches.online-priority must be 0 (none) or a priority level 1-" + Integer.MAX_VALUE
                    + ", got " + b.onlinePriority);
        }
        if (!b.enabled) {
            return;
        }
        if (b.groupId == null || b.groupId.isBlank()) {
            problems.add("batches.group-id is empty: name the consumer group of the replicas that feed batches");
        }
        if (b.completionWindows.isEmpty()) {
            problems.add("batches.completion-windows is empty: list at least 24h (what OpenAI accepts)");
        }
        for (String w : b.completionWindows) {
            if (completionWindowMs(w) < 0) {
                problems.add("batches.completion-windows: '" + w + "' is not a window: write a number of hours or "
                        + "minutes, e.g. 24h or 30m (at most 168h)");
            }
        }
        if (b.maxFileBytes < 1024 || b.maxFileLines < 1) {
            problems.add("batches: max-file-bytes must be at least 1024 and max-file-lines positive");
        }
        if (b.chunkBytes < 1024 || b.chunkBytes > (Topics.MAX_MESSAGE_BYTES >> 1)) {
            problems.add("batches.chunk-bytes must be 1024-" + (Topics.MAX_MESSAGE_BYTES >> 1) + ", got "
                    + b.chunkBytes);
        }
        if (b.minWindow < 1 || b.maxWindow < b.minWindow) {
            problems.add("batches: need 1 <= min-window <= max-window, got " + b.minWindow + " and " + b.maxWindow);
        }
        if (!(b.latencyTolerance >= 1.1)) {
            problems.add("batches.latency-tolerance must be at least 1.1, got " + b.latencyTolerance);
        }
        if (b.checkpointIntervalMs < 100 || b.resendAfterMs < 1_000 || b.cancelGraceMs < 0) {
            problems.add("batches: checkpoint-interval-ms must be at least 100, resend-after-ms at least 1000, "
                    + "cancel-grace-ms 0 or more");
        }
    }

    /** A completion window in milliseconds ({@code 24h}, {@code 30m}, up to a week); -1 when it is none. */
    public static long completionWindowMs(String window) {
        if (window == null || !window.matches("[1-9][0-9]{0,5}[hm]")) {
            return -1;
        }
        long n = Long.parseLong(window.substring(0, window.length() - 1));
        long ms = window.endsWith("h") ? n * 3_600_000L : n * 60_000L;
        return ms > 168 * 3_600_000L ? -1 : ms;
    }

    /** The byte budget of held requests: {@code http.max-buffered-bytes}, or an eighth of the heap. */
    public long bufferedBytesBudget() {
        long b = http.maxBufferedBytes > 0 ? http.maxBufferedBytes
                : io.streaminfer.bridge.infer.MemoryBudget.defaultBytes();
        return Math.max(b, http.maxBodyBytes);
    }

    /** A sync generation's timeout when its request names none: generation.timeout-ms, at most timeouts.max-ms. */
    public long generationTimeoutMs() {
        return Math.min(generation.timeoutMs, timeouts.maxMs);
    }

    /** The client properties shared by every Kafka client of the bridge. */
    public Map<String, Object> kafkaClientProperties() {
        Map<String, Object> p = new LinkedHashMap<>(kafka.properties);
        p.put("bootstrap.servers", kafka.bootstrapServers);
        return p;
    }
}
