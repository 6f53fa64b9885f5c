package io.streaminfer.job.kafka;

import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.flink.generation.TokenLog;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token topic as the job's {@link TokenLog}: each generating subtask writes with a transactional producer of its
 * own ({@code <prefix>-tokens-<subtask>}), sending each step's records at once ({@link FencedTokenWriter}): readers
 * with Kafka's default isolation (read_uncommitted) see a delta milliseconds after its step, in either delivery mode
 * of the job's other sinks. The transactions are there to fence: on start, {@code initTransactions} with the same ID
 * fences the previous attempt's writer, which can append nothing afterwards, so the read-back (read_uncommitted, as
 * readers read) sees every record readers could ever see, those of the fenced writer's open transaction included.
 *
 * <pre>{@code
 * TokenLog log = new KafkaTokenLog("inference.tokens", Map.of("bootstrap.servers", "localhost:9092"), 60_000);
 * }</pre>
 */
public final class KafkaTokenLog implements TokenLog {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(KafkaTokenLog.class);

    /** How often a writer commits its open transaction: only so that it never times out (60 s). */
    static final long COMMIT_INTERVAL_MS = 1_000;

    private final String topic;
    private final Map<String, String> clientProperties;
    private final long readBackTimeoutMs;

    /**
     * @param clientProperties bootstrap servers, security and any other client settings
     * @param readBackTimeoutMs how long a read-back may take before it fails (the restore then fails, and is tried
     *        again)
     */
    public KafkaTokenLog(String topic, Map<String, String> clientProperties, long readBackTimeoutMs) {
        this.topic = topic;
        this.clientProperties = Map.copyOf(clientProperties);
        this.readBackTimeoutMs = readBackTimeoutMs;
    }

    /** The producer settings of a token writer, for {@code transactionalId}. */
    Properties producerProperties(String transactionalId) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // A delta is worth sending at once: the producer batches what accumulates while a request is in flight.
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "0");
        // Well under a stock broker's transaction.max.timeout.ms (15 min): a dead writer's open transaction is
        // aborted by the next one's initTransactions anyway.
        props.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
        props.remove(ConsumerConfig.ISOLATION_LEVEL_CONFIG);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return props;
    }

    static String transactionalId(String jobName, int subtask) {
        return jobName + "-tokens-" + subtask;
    }

    @Override
    public Writer openWriter(String jobName, int subtask, int parallelism, int previousParallelism) {
        if (subtask == 0) {
            for (int gone = parallelism; gone < previousParallelism; gone++) {
                // A scale-down: subtasks of the attempt before that no longer exist are fenced by the first one.
                try (KafkaProducer<byte[], byte[]> fence = producer(transactionalId(jobName, gone))) {
                    fence.initTransactions();
                }
            }
        }
        KafkaProducer<byte[], byte[]> producer = producer(transactionalId(jobName, subtask));
        producer.initTransactions();
        // A reply partition the topic does not have is ignored: the key decides.
        int partitions = producer.partitionsFor(topic).size();
        return new FencedTokenWriter(producer, topic, partitions, COMMIT_INTERVAL_MS, jobName + "-" + subtask);
    }

    private KafkaProducer<byte[], byte[]> producer(String transactionalId) {
        return new KafkaProducer<>(producerProperties(transactionalId), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    @Override
    public Map<String, List<TokenRecord>> readBack(long sinceMillis, Predicate<String> mine) {
        Map<String, String> props = new HashMap<>(clientProperties);
        // As readers read: a fenced writer's open transaction was seen, so it counts.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        Map<String, List<TokenRecord>> byId = new HashMap<>();
        long read = TopicScan.scan(props, topic, sinceMillis, readBackTimeoutMs, r -> {
            if (r.key() == null) {
                return true;
            }
            String id = new String(r.key(), StandardCharsets.UTF_8);
            if (!mine.test(id)) {
                return true;
            }
            try {
                byId.computeIfAbsent(id, k -> new ArrayList<>()).add(TokenRecord.fromJson(r.value()));
            } catch (IllegalArgumentException e) {
                LOG.warn("Skipping an unreadable record of {} at {}-{}@{}: {}", id, r.topic(), r.partition(),
                        r.offset(), e.getMessage());
            }
            return true;
        });
        byId.values().forEach(l -> l.sort(Comparator.comparingInt(TokenRecord::seq)));
        LOG.info("Read back {} token record(s) of {} generation(s) from {} since {}", read, byId.size(), topic,
                sinceMillis);
        return byId;
    }

    /** What a writer puts in a record's headers: its model and its request's trace context, as results carry them. */
    static ProducerRecord<byte[], byte[]> record(String topic, int partitions, Routed routed) {
        TokenRecord t = routed.record();
        Integer partition = routed.partition() >= 0 && routed.partition() < partitions ? routed.partition() : null;
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, partition,
                t.id().getBytes(StandardCharsets.UTF_8), t.toJson());
        if (routed.model() != null) {
            r.headers().add(KafkaContract.HEADER_MODEL, routed.model().getBytes(StandardCharsets.UTF_8));
        }
        RecordSerializers.addTrace(r.headers(), routed.traceparent(), routed.tracestate());
        return r;
    }
}
