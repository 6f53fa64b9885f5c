package io.streaminfer.job;

import io.streaminfer.contract.Topics;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.flink.generation.GenerationBranch;
import io.streaminfer.flink.generation.GenerationStageSettings;
import io.streaminfer.flink.inference.BatchingSettings;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.flink.status.PublishedFinals;
import io.streaminfer.flink.topology.InferenceTopology;
import io.streaminfer.flink.topology.TopologySettings;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.config.MemoryBudget;
import io.streaminfer.job.kafka.KafkaCancelFeed;
import io.streaminfer.job.kafka.KafkaTokenLog;
import io.streaminfer.job.kafka.RawRecordDeserializer;
import io.streaminfer.job.kafka.RecordSerializers;
import io.streaminfer.job.kafka.StatusTopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job on an environment: the Kafka source, the topology between it and the sinks ({@link InferenceTopology},
 * from the job config's {@link #topologySettings}), and the Kafka sinks of results, statuses and dead letters, with
 * the job's delivery guarantee. The source's and sinks' uids are stable, as the topology's are.
 */
public final class InferencePipeline {
    private static final Logger LOG = LoggerFactory.getLogger(InferencePipeline.class);

    private InferencePipeline() {}

    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        MemoryBudget memory = MemoryBudget.of(config, taskHeapPerSlot(env.getConfiguration()));
        if (!memory.problems().isEmpty()) {
            throw new IllegalArgumentException("invalid job config for these task managers ("
                    + memory.problems().size() + " problem(s)):\n  - " + String.join("\n  - ", memory.problems()));
        }
        LOG.info("Memory: {}", memory.describe());
        InferenceTopology.Builder builder = InferenceTopology.builder()
                .settings(topologySettings(config, memory.maxInFlightBytes()));
        Set<String> generative = generativeModels(config);
        if (!generative.isEmpty()) {
            builder.branch(new GenerationBranch(generative, generation(config), config.generation.capacity));
        }
        InferenceTopology topology = builder.build();

        DataStream<RawRecord> raw = env.fromSource(source(config), WatermarkStrategy.noWatermarks(), "requests")
                .uid("requests-source");
        InferenceTopology.Outputs out = topology.attach(raw);
        out.results().sinkTo(sink(config, "results", new RecordSerializers.Results(config.topics.results)))
                .uid("results-sink").name("results");
        out.statuses().sinkTo(sink(config, "status", new RecordSerializers.Status(config.topics.status)))
                .uid("status-sink").name("status");
        out.deadLetters().sinkTo(sink(config, "dlq", new RecordSerializers.DeadLetters(config.topics.deadLetters)))
                .uid("dlq-sink").name("dead letters");
    }

    /** The topology's settings from the job config; {@code maxInFlightBytes} from its memory budget. */
    static TopologySettings topologySettings(JobConfig config, long maxInFlightBytes) {
        InferenceSettings.Builder inference = InferenceSettings.builder()
                .modelsDir(config.models.dir)
                .replicas(config.models.standIn.replicas())
                .device(config.models.device)
                .workers(config.models.workers)
                .timeoutMs(config.async.timeoutMs)
                .retries(config.async.retries)
                .retryDelayMs(config.async.retryDelayMs)
                .maxInFlightBytes(maxInFlightBytes)
                .tracing(config.tracing.settings())
                .defaultBatching(knobs(config.batching.defaults));
        config.batching.perModel.forEach((model, k) -> inference.batching(model, knobs(k)));
        return TopologySettings.builder()
                .inference(inference.build())
                .servedModels(config.servedModels())
                .checkRepository(config.models.checkOnSubmit)
                .maxRequestBytes(config.limits.maxRequestBytes)
                .asyncCapacity(config.async.capacity)
                .stateTtl(Duration.ofMinutes(config.state.ttlMinutes))
                .resultTtl(Duration.ofMinutes(config.resultTtlMinutes()))
                .acceptedDelayMs(config.statuses.acceptedDelayMs)
                .graphProgress(config.graphs.progress)
                .preparers(config.models.standIn.preparers())
                .publishedFinals(publishedFinals(config))
                .build();
    }

    /** The served models that are generative (none when the repository is not read where the job is built). */
    static Set<String> generativeModels(JobConfig config) {
        if (!config.models.checkOnSubmit) {
            return Set.of();
        }
        Set<String> names = new TreeSet<>();
        for (ModelRepository.ModelEntry e : ModelRepository.open(Path.of(config.models.dir)).models()) {
            if (e.config().isGenerative() && config.servedModels().includes(e.name())) {
                names.add(e.name());
            }
        }
        return names;
    }

    /** The generation step's settings: models, and the token and control topics' Kafka clients. */
    static GenerationStageSettings generation(JobConfig config) {
        Map<String, String> props = new LinkedHashMap<>(config.kafka.properties);
        props.put("bootstrap.servers", config.kafka.bootstrapServers);
        return GenerationStageSettings.builder()
                .jobName(config.delivery.transactionalIdPrefix)
                .modelsDir(config.models.dir)
                .models(config.servedModels())
                .tokenLog(new KafkaTokenLog(config.topics.tokens, props, 120_000))
                .cancelFeed(new KafkaCancelFeed(config.topics.control, props))
                .readBack(Duration.ofMinutes(config.generation.readBackMinutes))
                .build();
    }

    /**
     * With at-least-once delivery, what was published after the last checkpoint is read back from the status topic
     * on a restore, so that no re-run contradicts it; with exactly-once nothing after a checkpoint was visible.
     */
    private static PublishedFinals publishedFinals(JobConfig config) {
        if (config.exactlyOnce()) {
            return PublishedFinals.none();
        }
        Map<String, String> props = new LinkedHashMap<>(config.kafka.properties);
        props.put("bootstrap.servers", config.kafka.bootstrapServers);
        return new StatusTopicReader(config.topics.status, props, 120_000, 5_000_000);
    }

    /**
     * A slot's share of the task managers' task heap, from the cluster's configuration as the job sees it where it
     * is built (a session cluster's JobManager has the task managers' settings); null when it declares none, as in a
     * local MiniCluster.
     */
    static Long taskHeapPerSlot(ReadableConfig environment) {
        Configuration c = Configuration.fromMap(environment.toMap());
        boolean declared = c.contains(TaskManagerOptions.TOTAL_PROCESS_MEMORY)
                || c.contains(TaskManagerOptions.TOTAL_FLINK_MEMORY)
                || (c.contains(TaskManagerOptions.TASK_HEAP_MEMORY) && c.contains(TaskManagerOptions.MANAGED_MEMORY_SIZE));
        if (!declared) {
            return null;
        }
        try {
            TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(c);
            return spec.getTaskHeapSize().getBytes() / Math.max(1, spec.getNumSlots());
        } catch (RuntimeException e) {
            LOG.warn("Cannot work out the task managers' heap from the configuration ({}); the memory budget is "
                    + "not checked against it", e.getMessage());
            return null;
        }
    }

    private static BatchingSettings knobs(JobConfig.BatchingKnobs k) {
        return BatchingSettings.builder()
                .maxBatchSize(k.maxBatchSize)
                .maxBatchTokens(k.maxBatchTokens)
                .maxBatchElements(k.maxBatchElements)
                .maxDelayMs(k.maxDelayMs)
                .grouping(k.grouping)
                .queueBatches(k.queueBatches)
                .watchdogMinMs(k.watchdogMinMs)
                .watchdogFactor(k.watchdogFactor)
                .build();
    }

    /** The requests source. Public for the benchmark that runs the job's Kafka traffic through Flink alone. */
    public static KafkaSource<RawRecord> source(JobConfig config) {
        OffsetsInitializer offsets = switch (config.kafka.startingOffsets) {
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
            case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        };
        return KafkaSource.<RawRecord>builder()
                .setBootstrapServers(config.kafka.bootstrapServers)
                .setTopics(config.topics.requests)
                .setGroupId(config.kafka.groupId)
                .setStartingOffsets(offsets)
                .setDeserializer(new RawRecordDeserializer())
                .setProperties(sourceProperties(config))
                .build();
    }

    /**
     * The requests source's consumer settings: the job's defaults under whatever kafka.properties sets. Public for
     * the benchmark that moves the job's records through Kafka without Flink.
     */
    public static Properties sourceProperties(JobConfig config) {
        Properties props = clientProperties(config);
        if (config.exactlyOnce()) {
            props.setProperty("isolation.level", "read_committed");
        }
        // Fetched ahead is heap: bound it (Kafka's defaults allow 50 MiB per fetch); see MemoryBudget.
        props.putIfAbsent("fetch.max.bytes", Long.toString(MemoryBudget.DEFAULT_FETCH_MAX_BYTES));
        props.putIfAbsent("max.partition.fetch.bytes", Long.toString(MemoryBudget.DEFAULT_PARTITION_FETCH_BYTES));
        return props;
    }

    /**
     * The producer settings of the sink {@code name} (results, status, dlq): the job's defaults under whatever
     * kafka.properties sets, and with exactly-once delivery.transaction-timeout-ms.
     */
    public static Properties sinkProperties(JobConfig config, String name) {
        Properties props = clientProperties(config);
        // Results are small and latency matters more than a few percent of throughput.
        props.putIfAbsent("linger.ms", "1");
        props.putIfAbsent("buffer.memory", Long.toString(MemoryBudget.DEFAULT_BUFFER_MEMORY));
        if (name.equals("results")) {
            props.putIfAbsent("batch.size", Integer.toString(MemoryBudget.DEFAULT_RESULTS_BATCH_BYTES));
        }
        // Dead letters carry whole requests, results may be large tensors: as large as the topics take.
        props.putIfAbsent("max.request.size", Integer.toString(Topics.MAX_MESSAGE_BYTES));
        if (config.exactlyOnce()) {
            // Here, not after the builder took the properties: it copies them, and its own default (1 h) is more
            // than a stock broker allows (transaction.max.timeout.ms, 15 min).
            props.setProperty("transaction.timeout.ms", Long.toString(config.delivery.transactionTimeoutMs));
        }
        return props;
    }

    /**
     * The sink {@code name} (results, status, dlq) with the job's settings and delivery guarantee. Public for the
     * benchmark that runs the job's Kafka traffic through Flink alone.
     */
    public static <T> KafkaSink<T> sink(JobConfig config, String name, KafkaRecordSerializationSchema<T> schema) {
        var builder = KafkaSink.<T>builder()
                .setBootstrapServers(config.kafka.bootstrapServers)
                .setRecordSerializer(schema)
                .setKafkaProducerConfig(sinkProperties(config, name));
        if (config.exactlyOnce()) {
            builder.setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                    .setTransactionalIdPrefix(config.delivery.transactionalIdPrefix + "-" + name);
        } else {
            builder.setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE);
        }
        return builder.build();
    }

    private static Properties clientProperties(JobConfig config) {
        Properties props = new Properties();
        props.putAll(config.kafka.properties);
        return props;
    }
}
