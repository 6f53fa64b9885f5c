package io.streaminfer.job.config;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.streaminfer.contract.Topics;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelSelection;
import io.streaminfer.tracing.TracingSettings;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The job's one configuration file (YAML), with the defaults a user gets when a key is absent. Every problem is
 * reported at start-up, at once, saying what to change; unknown keys are refused so a misspelt knob is not ignored.
 * {@code deploy/job/job.yaml} is the annotated example.
 *
 * <pre>{@code
 * JobConfig config = JobConfig.load(Path.of("job.yaml"));   // parses and validates
 * }</pre>
 */
public final class JobConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public String jobName = "streaminfer";
    public Kafka kafka = new Kafka();
    public TopicNames topics = new TopicNames();
    public Models models = new Models();
    public Batching batching = new Batching();
    public Async async = new Async();
    public Limits limits = new Limits();
    public Delivery delivery = new Delivery();
    public Checkpointing checkpointing = new Checkpointing();
    public State state = new State();
    public Execution execution = new Execution();
    public Graphs graphs = new Graphs();
    public Generation generation = new Generation();
    public Statuses statuses = new Statuses();
    public Tracing tracing = new Tracing();
    /** Any other Flink setting, passed to the job's configuration as is (e.g. RocksDB tuning). */
    public Map<String, String> flink = new LinkedHashMap<>();

    public static final class Kafka implements Serializable {
        private static final long serialVersionUID = 1L;
        public String bootstrapServers = "localhost:9092";
        public String groupId = "streaminfer-job";
        /** committed (falling back to earliest), earliest or latest. */
        @JsonSetter(nulls = Nulls.SKIP)
        public StartingOffsets startingOffsets = StartingOffsets.COMMITTED;
        /** Extra client properties for every client: security.protocol, sasl.*, ssl.*, and so on. */
        public Map<String, String> properties = new LinkedHashMap<>();
    }

    public static final class TopicNames implements Serializable {
        private static final long serialVersionUID = 1L;
        public String requests = Topics.REQUESTS;
        public String results = Topics.RESULTS;
        public String status = Topics.STATUS;
        public String deadLetters = Topics.DEAD_LETTERS;
        /** Streamed generations' text ({@code TokenRecord}). */
        public String tokens = Topics.TOKENS;
        /** Cancels of requests in flight ({@code ControlRecord}). */
        public String control = Topics.CONTROL;
    }

    public static final class Models implements Serializable {
        private static final long serialVersionUID = 1L;
        /** The model repository, as the task managers see it. */
        public String dir = "deploy/models";
        /** The models this job serves; empty means all of the repository. */
        public List<String> serve = new ArrayList<>();
        /** auto, cpu or gpu:N for every replica; null keeps each model's own. A GPU Flink assigns wins. */
        public String device;
        /** Predictors per replica; null keeps each model's own {@code workers}. */
        public Integer workers;
        /** Check at submission that the repository exists and serves the listed models (off when the client cannot see it). */
        public boolean checkOnSubmit = true;
        /**
         * Benchmarks only: {@code no-op} answers every request at once without a model (the pipeline's own ceiling);
         * {@code gpu} takes the time an H100 would per batch (no model, no GPU); {@code none} (or absent) runs the
         * real models.
         */
        @JsonSetter(nulls = Nulls.SKIP)
        public ModelStandIn standIn = ModelStandIn.NONE;
    }

    public static final class BatchingKnobs implements Serializable {
        private static final long serialVersionUID = 2L;
        /** Most rows per model call; 0 means the model's own max_batch_size. */
        public int maxBatchSize = 0;
        /** Text models: most padded tokens (rows × longest row) per call; 0 means the model's max_batch_tokens. */
        public long maxBatchTokens = 0;
        /** Tensor models: most input elements per call; 0 means the model's own (rows only when it has none). */
        public long maxBatchElements = 0;
        /** How long the oldest request may wait for a fuller batch while another batch is running. */
        public long maxDelayMs = 5;
        /** Batch requests of similar length together; null: on for text models, off for tensor models. */
        public Boolean grouping;
        /** Work that may wait in a replica's queue, in full batches per worker (0: unbounded). */
        public int queueBatches = 4;
        /** The least time the watchdog gives a model call before failing its batch; 0 turns it off. */
        public long watchdogMinMs = 60_000;
        /** A call's budget: this many times what calls of its cost took, at least watchdog-min-ms. */
        public double watchdogFactor = 20;
    }

    public static final class Batching implements Serializable {
        private static final long serialVersionUID = 1L;
        public BatchingKnobs defaults = new BatchingKnobs();
        public Map<String, BatchingKnobs> perModel = new LinkedHashMap<>();
    }

    public static final class Async implements Serializable {
        private static final long serialVersionUID = 1L;
        /**
         * Requests in flight per subtask, counted by Flink's async operator. Work and bytes are bounded on top of
         * it (batching.*.queue-batches, limits.max-in-flight-bytes), so this only needs to be large enough for them.
         */
        public int capacity = 1024;
        /**
         * Only a safety net: requests do not fail for waiting (queues are bounded in work, a watchdog guards each
         * model call); one without a result after this ends FAILED with TIMEOUT. Keep it above every watchdog-min-ms.
         */
        public long timeoutMs = 600_000;
        /** Retries of transient failures (not bad input, not model errors). */
        public int retries = 2;
        public long retryDelayMs = 100;
    }

    public static final class Limits implements Serializable {
        private static final long serialVersionUID = 2L;
        public int maxRequestBytes = 4 << 20;
        /**
         * Bytes that requests in flight in one inference subtask may hold (prepared inputs, results); 0 derives it
         * from the task managers' heap (see {@code MemoryBudget}).
         */
        public long maxInFlightBytes = 0;
    }

    public static final class Delivery implements Serializable {
        private static final long serialVersionUID = 1L;
        /** at-least-once (results as soon as computed; readers deduplicate by ID) or exactly-once. */
        @JsonSetter(nulls = Nulls.SKIP)
        public DeliveryGuarantee guarantee = DeliveryGuarantee.AT_LEAST_ONCE;
        public String transactionalIdPrefix = "streaminfer";
        /** Must not exceed the brokers' transaction.max.timeout.ms (15 minutes by default). */
        public long transactionTimeoutMs = 600_000;
    }

    public static final class Checkpointing implements Serializable {
        private static final long serialVersionUID = 1L;
        public long intervalMs = 2_000;
        public long minPauseMs = 500;
        /** Where checkpoints go: file://, s3://, ...; null keeps Flink's own setting. */
        public String dir = "file:///tmp/streaminfer/checkpoints";
        public boolean incremental = true;
    }

    public static final class State implements Serializable {
        private static final long serialVersionUID = 1L;
        /** Long enough for retries and a failover's re-read input; short enough to keep the state a sixth of 60. */
        static final long DEFAULT_RESULT_TTL_MINUTES = 10;
        /** How long request IDs and their final states are kept for idempotency. */
        public long ttlMinutes = 60;
        /**
         * How long a success's result is kept to answer a repeated ID (at most ttl-minutes; 0: not at all). Results
         * are most of the state (1.7 KB for an embedding of 384 floats, against ~200 bytes for the rest of an
         * outcome); a duplicate after this is answered RESULT_NOT_KEPT. Null: 10, or ttl-minutes if shorter.
         */
        public Long resultTtlMinutes;
        /** RocksDB's working directory on the task manager; null keeps Flink's default. */
        public String rocksdbLocalDir;
    }

    public static final class Execution implements Serializable {
        private static final long serialVersionUID = 1L;
        public int parallelism = 1;
        /**
         * 0: every record is flushed at once. Measured (docs/benchmarks.md, "Measurements behind the defaults"):
         * ~7 ms less per low-load request at p50 than 5 ms, with no throughput loss above the benchmarks' noise.
         */
        public long bufferTimeoutMs = 0;
        public int restartAttempts = Integer.MAX_VALUE;
        public long restartDelayMs = 1_000;
    }

    /** Graphs of models (kind: graph in the repository): what the job publishes about them. */
    public static final class Graphs implements Serializable {
        private static final long serialVersionUID = 1L;
        /** RUNNING status records naming the step a graph request is at (one per step); one-step models never. */
        public boolean progress = true;
    }

    /** The generation step (generative models; docs/generation.md). */
    public static final class Generation implements Serializable {
        private static final long serialVersionUID = 1L;
        /**
         * Generations in flight per subtask (the async operator counts them): above the engines' running and waiting
         * sequences, so their own budgets, not this, decide.
         */
        public int capacity = 512;
        /**
         * How far back, in minutes, a subtask that starts without state (a job that failed before its first
         * checkpoint) reads the token and control topics, to continue what it had started.
         */
        public int readBackMinutes = 10;
    }

    /** What the job publishes on the status topic. */
    public static final class Statuses implements Serializable {
        private static final long serialVersionUID = 1L;
        /**
         * 0: ACCEPTED is published as a request enters. Above 0: only for requests without a newer status after
         * this long, so a request that ends sooner publishes its final status alone (a record fewer per request;
         * docs/job.md, "Statuses published").
         */
        public long acceptedDelayMs = 0;
    }

    /**
     * Tracing of requests with OpenTelemetry (docs/tracing.md): off by default. The standard OTEL_* environment
     * variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...) win over these where both are set.
     */
    public static final class Tracing implements Serializable {
        private static final long serialVersionUID = 1L;
        public boolean enabled = false;
        /** The share of requests traced that bring no traceparent; one whose traceparent is sampled always is. */
        public double samplerRatio = 1.0;
        public TraceExporter exporter = TraceExporter.OTLP;
        /** otlp: the collector's base URL (default OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318). */
        public String endpoint;
        public String serviceName = "streaminfer-job";

        /** The operators' settings; call on a validated config. */
        public TracingSettings settings() {
            return TracingSettings.builder().enabled(enabled).samplerRatio(samplerRatio)
                    .exporter(exporter.exporter()).endpoint(endpoint).serviceName(serviceName).build();
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.PUBLIC_ONLY);

    /** Problems found while parsing (a choice that is not one), listed with validate()'s. */
    private transient List<String> parseProblems = List.of();

    /** Parses and validates a YAML file. */
    public static JobConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("job config " + file.toAbsolutePath() + " does not exist");
        }
        try {
            return read(file, reader -> reader.readValue(file.toFile()));
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException("job config " + file + ": unknown key '" + e.getPropertyName()
                    + "' at " + e.getPathReference() + "; known keys there: " + e.getKnownPropertyIds(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("job config " + file + " is not valid YAML for this job: "
                    + e.getMessage(), e);
        }
    }

    /** Parses YAML text (tests, overrides). */
    public static JobConfig parse(String yaml) {
        try {
            return read(null, reader -> reader.readValue(yaml));
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException("job config: unknown key '" + e.getPropertyName() + "' at "
                    + e.getPathReference() + "; known keys there: " + e.getKnownPropertyIds(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("job config is not valid YAML for this job: " + e.getMessage(), e);
        }
    }

    private interface Read {
        JobConfig from(ObjectReader reader) throws IOException;
    }

    private static JobConfig read(Path file, Read read) throws IOException {
        ChoiceProblems problems = new ChoiceProblems();
        JobConfig c = read.from(YAML.readerFor(JobConfig.class).withHandler(problems));
        c = c == null ? new JobConfig() : c;
        c.parseProblems = problems.found;
        c.validate();
        return c;
    }

    /** Collects choices that are none of their type's, so that validation lists them with every other problem. */
    private static final class ChoiceProblems extends DeserializationProblemHandler {
        final List<String> found = new ArrayList<>();

        @Override
        public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> type, String value,
                String failureMsg) {
            if (!ConfigChoice.class.isAssignableFrom(type)) {
                return NOT_HANDLED;
            }
            found.add(path(ctxt.getParser().getParsingContext()) + " must be " + ConfigChoice.choices(type)
                    + ", not '" + value + "'");
            return null; // left unset; the problem is reported by validate()
        }

        private static String path(JsonStreamContext at) {
            List<String> names = new ArrayList<>();
            for (JsonStreamContext c = at; c != null; c = c.getParent()) {
                if (c.getCurrentName() != null) {
                    names.add(0, c.getCurrentName());
                }
            }
            return String.join(".", names);
        }
    }

    /** How long results are kept for replays: state.result-ttl-minutes; by default 10, or state.ttl-minutes if less. */
    public long resultTtlMinutes() {
        return state.resultTtlMinutes != null ? state.resultTtlMinutes
                : Math.min(State.DEFAULT_RESULT_TTL_MINUTES, state.ttlMinutes);
    }

    public boolean exactlyOnce() {
        return delivery.guarantee == DeliveryGuarantee.EXACTLY_ONCE;
    }

    /** models.serve: the models listed, or all of the repository when it lists none. */
    public ModelSelection servedModels() {
        return models.serve == null || models.serve.isEmpty() ? ModelSelection.all()
                : ModelSelection.only(models.serve);
    }

    /** Checks every setting; throws one IllegalArgumentException that lists every problem and what to do. */
    public void validate() {
        List<String> p = new ArrayList<>(parseProblems == null ? List.of() : parseProblems);
        if (blank(kafka.bootstrapServers)) {
            p.add("kafka.bootstrap-servers is empty: set host:port[,host:port] of your brokers");
        }
        if (blank(kafka.groupId)) {
            p.add("kafka.group-id is empty: the job's consumer group is needed to resume from committed offsets");
        }
        chosen("kafka.starting-offsets", kafka.startingOffsets, StartingOffsets.class, p);
        Set<String> names = new HashSet<>();
        for (String[] t : new String[][] {{"requests", topics.requests}, {"results", topics.results},
                {"status", topics.status}, {"dead-letters", topics.deadLetters}, {"tokens", topics.tokens},
                {"control", topics.control}}) {
            if (blank(t[1])) {
                p.add("topics." + t[0] + " is empty: name a topic");
            } else if (!names.add(t[1])) {
                p.add("topics." + t[0] + " = '" + t[1] + "' is used twice: each topic must be distinct");
            }
        }
        if (generation.capacity < 1) {
            p.add("generation.capacity must be at least 1 (generations in flight per subtask), got "
                    + generation.capacity);
        }
        if (generation.readBackMinutes < 0) {
            p.add("generation.read-back-minutes must be 0 or more, got " + generation.readBackMinutes);
        }
        if (blank(models.dir)) {
            p.add("models.dir is empty: point it at the model repository (deploy/models holds the default)");
        }
        if (models.device != null) {
            try {
                DeviceSpec.parse(models.device);
            } catch (IllegalArgumentException e) {
                p.add("models.device: " + e.getMessage());
            }
        }
        chosen("models.stand-in", models.standIn, ModelStandIn.class, p);
        if (models.workers != null && models.workers < 1) {
            p.add("models.workers must be >= 1 (or absent to keep each model's own), got " + models.workers);
        }
        checkKnobs("batching.defaults", batching.defaults, p);
        batching.perModel.forEach((m, k) -> checkKnobs("batching.per-model." + m, k, p));
        if (async.capacity < 1 || async.capacity > 100_000) {
            p.add("async.capacity must be between 1 and 100000, got " + async.capacity);
        }
        if (async.timeoutMs < 10) {
            p.add("async.timeout-ms must be >= 10, got " + async.timeoutMs);
        }
        for (Map.Entry<String, BatchingKnobs> k : allKnobs().entrySet()) {
            if (k.getValue() != null && k.getValue().watchdogMinMs > 0 && async.timeoutMs <= 2 * k.getValue().watchdogMinMs) {
                p.add("async.timeout-ms (" + async.timeoutMs + ", the safety net) must be more than twice "
                        + k.getKey() + ".watchdog-min-ms (" + k.getValue().watchdogMinMs + "), so that the watchdog "
                        + "catches a stuck model call first: raise async.timeout-ms or lower watchdog-min-ms");
            }
        }
        if (limits.maxInFlightBytes != 0 && limits.maxInFlightBytes < 1 << 20) {
            p.add("limits.max-in-flight-bytes must be 0 (derived from the task heap) or >= 1048576 (1 MiB), got "
                    + limits.maxInFlightBytes);
        }
        if (async.retries < 0 || async.retryDelayMs < 0) {
            p.add("async.retries and async.retry-delay-ms must be >= 0");
        }
        if (limits.maxRequestBytes < 1024 || limits.maxRequestBytes > 256 << 20) {
            p.add("limits.max-request-bytes must be between 1024 and 268435456, got " + limits.maxRequestBytes);
        }
        chosen("delivery.guarantee", delivery.guarantee, DeliveryGuarantee.class, p);
        if (exactlyOnce()) {
            if (blank(delivery.transactionalIdPrefix)) {
                p.add("delivery.transactional-id-prefix is required for exactly-once and must be unique per job");
            }
            if (delivery.transactionTimeoutMs > 900_000) {
                p.add("delivery.transaction-timeout-ms = " + delivery.transactionTimeoutMs + " exceeds the brokers' "
                        + "default transaction.max.timeout.ms (900000): lower it, or raise the brokers' limit first");
            }
            if (kafka.properties.containsKey("transaction.timeout.ms")) {
                p.add("kafka.properties.transaction.timeout.ms is set: the sinks' transactions take "
                        + "delivery.transaction-timeout-ms (" + delivery.transactionTimeoutMs + "); set that instead");
            }
            if (delivery.transactionTimeoutMs <= checkpointing.intervalMs) {
                p.add("delivery.transaction-timeout-ms must be longer than checkpointing.interval-ms");
            }
        }
        if (tracing == null) {
            tracing = new Tracing(); // "tracing:" with nothing after it: the defaults
        }
        chosen("tracing.exporter", tracing.exporter, TraceExporter.class, p);
        p.addAll(TracingSettings.problems(tracing.samplerRatio,
                tracing.exporter == null ? TracingSettings.Exporter.OTLP : tracing.exporter.exporter(),
                tracing.endpoint, tracing.serviceName));
        if (checkpointing.intervalMs < 10) {
            p.add("checkpointing.interval-ms must be >= 10: without checkpoints a failover loses in-flight "
                    + "requests and exactly-once never commits");
        }
        if (checkpointing.minPauseMs < 0) {
            p.add("checkpointing.min-pause-ms must be >= 0");
        }
        if (state.ttlMinutes < 1) {
            p.add("state.ttl-minutes must be >= 1: it bounds how long duplicate IDs are recognised");
        }
        if (state.resultTtlMinutes != null
                && (state.resultTtlMinutes < 0 || state.resultTtlMinutes > state.ttlMinutes)) {
            p.add("state.result-ttl-minutes must be within 0..state.ttl-minutes (" + state.ttlMinutes + "): results "
                    + "are kept for replays of IDs that are still known, 0 keeps none; got " + state.resultTtlMinutes);
        }
        if (execution.parallelism < 1) {
            p.add("execution.parallelism must be >= 1, got " + execution.parallelism);
        }
        if (execution.bufferTimeoutMs < 0) {
            p.add("execution.buffer-timeout-ms must be >= 0 (0 flushes every record), got "
                    + execution.bufferTimeoutMs);
        }
        if (statuses.acceptedDelayMs < 0 || statuses.acceptedDelayMs > 60_000) {
            p.add("statuses.accepted-delay-ms must be within 0..60000 (0 publishes ACCEPTED at once; longer only "
                    + "hides waiting requests), got " + statuses.acceptedDelayMs);
        }
        if (execution.restartAttempts < 0 || execution.restartDelayMs < 0) {
            p.add("execution.restart-attempts and execution.restart-delay-ms must be >= 0");
        }
        if (!p.isEmpty()) {
            throw new IllegalArgumentException("invalid job config (" + p.size() + " problem(s)):\n  - "
                    + String.join("\n  - ", p));
        }
    }

    /** Every set of batching knobs, by where it is configured. */
    private Map<String, BatchingKnobs> allKnobs() {
        Map<String, BatchingKnobs> all = new LinkedHashMap<>();
        all.put("batching.defaults", batching.defaults);
        batching.perModel.forEach((m, k) -> all.put("batching.per-model." + m, k));
        return all;
    }

    private static void checkKnobs(String where, BatchingKnobs k, List<String> p) {
        if (k == null) {
            p.add(where + " is empty");
            return;
        }
        if (k.maxBatchSize < 0) {
            p.add(where + ".max-batch-size must be >= 1, or 0 for the model's own, got " + k.maxBatchSize);
        }
        if (k.maxDelayMs < 0 || k.maxDelayMs > 60_000) {
            p.add(where + ".max-delay-ms must be between 0 and 60000, got " + k.maxDelayMs);
        }
        if (k.maxBatchTokens < 0) {
            p.add(where + ".max-batch-tokens must be >= 1, or 0 for the model's max_batch_tokens, got "
                    + k.maxBatchTokens);
        }
        if (k.maxBatchElements < 0) {
            p.add(where + ".max-batch-elements must be >= 1, or 0 for the model's own, got " + k.maxBatchElements);
        }
        if (k.queueBatches < 0 || k.queueBatches > 1_000) {
            p.add(where + ".queue-batches must be between 0 (unbounded) and 1000, got " + k.queueBatches);
        }
        if (k.watchdogMinMs < 0) {
            p.add(where + ".watchdog-min-ms must be >= 0 (0 turns the watchdog off), got " + k.watchdogMinMs);
        }
        if (!(k.watchdogFactor >= 1)) {
            p.add(where + ".watchdog-factor must be >= 1, got " + k.watchdogFactor);
        }
    }

    /** A choice left unset (its YAML value was none of them, reported when parsed, or was set to null in code). */
    private static void chosen(String key, ConfigChoice value, Class<? extends ConfigChoice> type, List<String> p) {
        if (value == null && p.stream().noneMatch(problem -> problem.startsWith(key + " "))) {
            p.add(key + " must be " + ConfigChoice.choices(type));
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
