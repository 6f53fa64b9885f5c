package io.streaminfer.job.cluster;

import io.streaminfer.job.testing.TopicCollector;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.Topics;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One job's topics on the broker, its job config file (what a user hands to deploy/submit), a producer of MiniLM
 * text requests, and readers of the results and status topics.
 */
final class InferenceTraffic implements AutoCloseable {
    static final String MODEL = "all-minilm-l6-v2";
    private static final String[] SUBJECTS = {"A man", "A woman", "The child", "An old dog", "A chef", "The pilot"};
    private static final String[] VERBS = {"is eating", "is reading", "plays with", "is painting", "is carrying"};
    private static final String[] OBJECTS = {"food.", "a red ball.", "the newspaper.", "a small boat.", "bread."};

    final String prefix;
    final Path configFile;
    final TopicCollector results;
    final TopicCollector status;
    /** Streamed generations' records, read as readers read them (Kafka's default, read_uncommitted). */
    final TopicCollector tokens;
    private final String requestsTopic;
    private final KafkaProducer<byte[], byte[]> producer;

    /**
     * Topics {@code <prefix>.requests} etc. with {@code partitions} partitions (as many as the job's parallelism),
     * and a job config: at-least-once, 1 s checkpoints into the cluster's checkpoint dir, one torch worker per
     * replica (two replicas on two cores), parallelism {@code parallelism}.
     */
    InferenceTraffic(EmbeddedKafka kafka, String prefix, int parallelism, Path dir) throws IOException {
        this(kafka, prefix, parallelism, dir, List.of(MODEL));
    }

    /** @param served the job's models.serve (graphs among them) */
    InferenceTraffic(EmbeddedKafka kafka, String prefix, int parallelism, Path dir, List<String> served)
            throws IOException {
        this.prefix = prefix;
        this.requestsTopic = prefix + ".requests";
        // As deploy's topic tool creates them: payload topics take records up to Topics.MAX_MESSAGE_BYTES.
        Map<String, String> payloads = Map.of("max.message.bytes", Integer.toString(Topics.MAX_MESSAGE_BYTES));
        kafka.createTopic(prefix + ".requests", parallelism, payloads);
        kafka.createTopic(prefix + ".results", parallelism, payloads);
        kafka.createTopic(prefix + ".status", parallelism, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(prefix + ".dlq", 1, payloads);
        kafka.createTopic(prefix + ".tokens", parallelism);
        kafka.createTopic(prefix + ".control", 1);
        String yaml = jobConfigYaml(kafka.bootstrapServers(), prefix, System.getProperty("streaminfer.models.dir"),
                parallelism, served);
        Files.createDirectories(dir);
        this.configFile = dir.resolve(prefix + ".yaml");
        Files.writeString(configFile, yaml);
        Properties producerProps = kafka.producerProps();
        producerProps.put("max.request.size", Integer.toString(Topics.MAX_MESSAGE_BYTES));
        producerProps.put("buffer.memory", Long.toString(128L << 20));
        this.producer = new KafkaProducer<>(producerProps);
        this.results = new TopicCollector(kafka.bootstrapServers(), prefix + ".results", "read_uncommitted");
        this.status = new TopicCollector(kafka.bootstrapServers(), prefix + ".status", "read_uncommitted");
        this.tokens = new TopicCollector(kafka.bootstrapServers(), prefix + ".tokens", "read_uncommitted");
    }

    /** IDs {@code <prefix>-<tag>-0 .. n-1}. */
    List<String> ids(String tag, int n) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(prefix + "-" + tag + "-" + i);
        }
        return ids;
    }

    /** A short sentence (8-12 tokens) per ID, varied so that batches hold different token lengths. */
    void send(List<String> ids) {
        for (int i = 0; i < ids.size(); i++) {
            String sentence = SUBJECTS[i % SUBJECTS.length] + " " + VERBS[(i / 3) % VERBS.length] + " "
                    + OBJECTS[(i / 7) % OBJECTS.length];
            send(ids.get(i), sentence);
        }
        producer.flush();
    }

    void send(String id, String sentence) {
        RecordHeaders h = new RecordHeaders();
        h.add(KafkaContract.HEADER_MODEL, MODEL.getBytes(StandardCharsets.UTF_8));
        producer.send(new ProducerRecord<>(requestsTopic, null, null, id.getBytes(StandardCharsets.UTF_8),
                RealTexts.request(id, sentence), h));
    }

    /** A question for the example graph sotu-qa. */
    void sendQuestion(String id, String question) {
        RecordHeaders h = new RecordHeaders();
        h.add(KafkaContract.HEADER_MODEL, "sotu-qa".getBytes(StandardCharsets.UTF_8));
        producer.send(new ProducerRecord<>(requestsTopic, null, null, id.getBytes(StandardCharsets.UTF_8),
                OipJson.writeRequest(new InferenceRequest(id, List.of(Tensor.ofStrings("question", question)))), h));
    }

    /** A request of several text rows, each one as given. */
    void sendRows(String id, List<String> rows) {
        RecordHeaders h = new RecordHeaders();
        h.add(KafkaContract.HEADER_MODEL, MODEL.getBytes(StandardCharsets.UTF_8));
        producer.send(new ProducerRecord<>(requestsTopic, null, null, id.getBytes(StandardCharsets.UTF_8),
                OipJson.writeRequest(new InferenceRequest(id, List.of(Tensor.ofStrings("text",
                        rows.toArray(String[]::new))))), h));
    }

    /** The real texts of deploy/data (long-tailed lengths, 2 to 875 words), one per ID, in corpus order. */
    void sendRealTexts(List<String> ids) {
        sendRealTexts(ids, List.of());
    }

    /**
     * As {@link #sendRealTexts(List)}, with a question for sotu-qa (a text of the corpus, from its end) after every
     * {@code ids.size() / questions.size()} texts, so graph requests are in every part of the backlog.
     */
    void sendRealTexts(List<String> ids, List<String> questions) {
        List<String> texts = RealTexts.load(Path.of(System.getProperty("streaminfer.models.dir")));
        int every = questions.isEmpty() ? Integer.MAX_VALUE : Math.max(1, ids.size() / questions.size());
        int q = 0;
        for (int i = 0; i < ids.size(); i++) {
            send(ids.get(i), texts.get(i % texts.size()));
            if (i % every == 0 && q < questions.size()) {
                sendQuestion(questions.get(q), texts.get(texts.size() - 1 - q));
                q++;
            }
        }
        for (; q < questions.size(); q++) {
            sendQuestion(questions.get(q), texts.get(texts.size() - 1 - q));
        }
        producer.flush();
    }

    void flush() {
        producer.flush();
    }

    /** A streamed generation of {@code model} (OIP, input text_input), long enough to be cut by a failure. */
    void sendGeneration(String id, String model, String prompt, int maxTokens) {
        RecordHeaders h = new RecordHeaders();
        h.add(KafkaContract.HEADER_MODEL, model.getBytes(StandardCharsets.UTF_8));
        producer.send(new ProducerRecord<>(requestsTopic, null, null, id.getBytes(StandardCharsets.UTF_8),
                OipJson.writeRequest(new InferenceRequest(id, Map.of("max_tokens", maxTokens, "stream", true,
                        "ignore_eos", true, "temperature", 0), List.of(Tensor.ofStrings("text_input", prompt)),
                        null)), h));
    }

    /** The token records of a streamed generation, in the order read. */
    List<TokenRecord> tokenRecords(String id) {
        List<TokenRecord> out = new ArrayList<>();
        for (byte[] v : tokens.values(id)) {
            out.add(TokenRecord.fromJson(v));
        }
        return out;
    }

    List<StatusRecord> statuses(String id) {
        List<StatusRecord> out = new ArrayList<>();
        for (byte[] v : status.values(id)) {
            out.add(StatusRecord.fromJson(v));
        }
        return out;
    }

    /**
     * The distinct final status records of an ID. At-least-once: after a failover, an outcome computed again since the
     * last checkpoint is published again, with the same state but its own timestamps.
     */
    List<StatusRecord> finalStatuses(String id) {
        List<StatusRecord> out = new ArrayList<>();
        for (StatusRecord s : statuses(id)) {
            if (s.state().isFinal() && !out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** The final states an ID reached: exactly one is the contract ({SUCCEEDED} here), however often published. */
    Set<RequestState> finalStates(String id) {
        Set<RequestState> states = EnumSet.noneOf(RequestState.class);
        finalStatuses(id).forEach(s -> states.add(s.state()));
        return states;
    }

    /** Every ID has a final status and at least one result. */
    boolean allDone(List<String> ids) {
        return results.countPresent(ids) == ids.size()
                && ids.stream().allMatch(id -> !finalStatuses(id).isEmpty());
    }

    /** IDs whose one final state is not SUCCEEDED, or without a result, or with an error result (for messages). */
    List<String> notCleanlySucceeded(List<String> ids) {
        List<String> bad = new ArrayList<>();
        for (String id : ids) {
            Set<RequestState> f = finalStates(id);
            boolean ok = f.equals(EnumSet.of(RequestState.SUCCEEDED)) && results.has(id)
                    && results.values(id).stream().noneMatch(OipJson::isError);
            if (!ok) {
                bad.add(id + " " + finalStatuses(id));
            }
        }
        return bad;
    }

    @Override
    public void close() throws InterruptedException {
        producer.close();
        results.close();
        status.close();
        tokens.close();
    }

    /** The cluster tests' job config: the MiniLM model only, one worker, 1 s checkpoints into the cluster's dir. */
    static String jobConfigYaml(String bootstrapServers, String prefix, String modelsDir, int parallelism) {
        return jobConfigYaml(bootstrapServers, prefix, modelsDir, parallelism, List.of(MODEL));
    }

    /** As above, serving {@code served} (models and graphs). */
    static String jobConfigYaml(String bootstrapServers, String prefix, String modelsDir, int parallelism,
            List<String> served) {
        return String.join("\n",
                "job-name: " + prefix,
                "kafka:",
                "  bootstrap-servers: " + bootstrapServers,
                "  group-id: " + prefix + "-job",
                "topics:",
                "  requests: " + prefix + ".requests",
                "  results: " + prefix + ".results",
                "  status: " + prefix + ".status",
                "  dead-letters: " + prefix + ".dlq",
                "  tokens: " + prefix + ".tokens",
                "  control: " + prefix + ".control",
                "models:",
                "  dir: " + modelsDir,
                "  serve: [" + String.join(", ", served) + "]",
                "  workers: 1",
                "batching:",
                "  defaults: {max-batch-size: 32, max-delay-ms: 5}",
                "checkpointing:",
                "  interval-ms: 1000",
                "  min-pause-ms: 200",
                "  dir: null                 # the cluster's execution.checkpointing.dir",
                "execution:",
                "  parallelism: " + parallelism,
                "  restart-delay-ms: 500",
                "");
    }
}
