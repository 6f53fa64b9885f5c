package io.streaminfer.job;

import io.streaminfer.contract.Topics;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelSelection;
import io.streaminfer.flink.graph.GraphPlan;
import io.streaminfer.flink.inference.BatchingInferenceFunction;
import io.streaminfer.flink.inference.BatchingSettings;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.ingest.RequestParser;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.records.StatusUpdate;
import io.streaminfer.flink.status.AdmissionTracker;
import io.streaminfer.flink.status.OutcomeRecorder;
import io.streaminfer.flink.status.PublishedFinals;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.config.MemoryBudget;
import io.streaminfer.job.kafka.RawRecordDeserializer;
import io.streaminfer.job.kafka.RecordSerializers;
import io.streaminfer.job.kafka.StatusTopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
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
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the inference topology on an environment:
 *
 * <pre>
 * KafkaSource(requests) → parse, validate, prepare (tokenize) ─rejected─→ DLQ sink, and a FAILED outcome ─┐
 *        → keyBy(id) ──────────────────────────────────────────────────────────────────────────────────┘
 *        → AdmissionTracker (admit once; duplicates → replay; past deadline → EXPIRED)
 *        → [graphs served: route graph requests to their graph's steps, see GraphStages]
 *        → AsyncDataStream.unorderedWait(BatchingInferenceFunction)   micro-batched on the model replicas
 *        → (still keyed by id) OutcomeRecorder (ACCEPTED, then one final outcome per ID) → results, status sinks
 * </pre>
 *
 * One shuffle: from admission to the sinks everything runs chained in one task per subtask. Operator uids are stable
 * so savepoints survive upgrades of the job.
 */
public final class InferencePipeline {
    private static final Logger LOG = LoggerFactory.getLogger(InferencePipeline.class);

    private InferencePipeline() {}

    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        List<GraphPlan> graphs = List.of();
        if (config.models.checkOnSubmit) {
            // Opening checks every model and graph of the repository, listing every problem at once.
            ModelRepository repository = ModelRepository.open(Path.of(config.models.dir));
            if (!config.servedModels().isAll()) {
                config.servedModels().names().forEach(repository::model);
            }
            graphs = graphPlans(config, repository);
        } else {
            LOG.warn("models.check-on-submit is off: graphs are built from the repository where the job is "
                    + "submitted, so none is served (their requests end UNKNOWN_MODEL)");
        }
        Duration ttl = Duration.ofMinutes(config.state.ttlMinutes);
        MemoryBudget memory = MemoryBudget.of(config, taskHeapPerSlot(env.getConfiguration()));
        if (!memory.problems().isEmpty()) {
            throw new IllegalArgumentException("invalid job config for these task managers ("
                    + memory.problems().size() + " problem(s)):\n  - " + String.join("\n  - ", memory.problems()));
        }
        LOG.info("Memory: {}", memory.describe());

        DataStream<RawRecord> raw = env.fromSource(source(config), WatermarkStrategy.noWatermarks(), "requests")
                .uid("requests-source");
        SingleOutputStreamOperator<RequestEnvelope> parsed = raw
                .process(new RequestParser(config.models.dir, config.limits.maxRequestBytes, config.servedModels(),
                        config.models.standIn.preparers()))
                .uid("parse").name("parse, validate and prepare");
        DataStream<Rejection> rejected = parsed.getSideOutput(RequestParser.REJECTED);
        // Rejections claim their ID at admission like any request, so every outcome takes the one keyed path.
        DataStream<RequestEnvelope> rejections = rejected
                .map(r -> RequestEnvelope.carrying(Outcomes.rejected(r))).returns(RequestEnvelope.class)
                .uid("rejections").name("rejections as outcomes");

        SingleOutputStreamOperator<RequestEnvelope> admitted = parsed.union(rejections)
                .keyBy(r -> r.id)
                .process(new AdmissionTracker(ttl))
                .uid("admission").name("admission (status, idempotency, deadlines)");

        InferenceSettings settings = inferenceSettings(config, memory.maxInFlightBytes(), loadedModels(config, graphs));
        DataStream<RequestEnvelope> oneStep = admitted;
        GraphStages.Built graphStages = null;
        if (!graphs.isEmpty()) {
            graphStages = GraphStages.build(admitted, graphs, config, settings, config.models.standIn.preparers());
            oneStep = graphStages.oneStep();
            LOG.info("Serving graphs {}", graphs);
        }
        // Timeout 0: the function keeps the safety net and the retries itself, without a timer per request.
        SingleOutputStreamOperator<Outcome> inferred = AsyncDataStream.unorderedWait(oneStep,
                new BatchingInferenceFunction(settings), 0, TimeUnit.MILLISECONDS, config.async.capacity);
        inferred.uid("inference").name("micro-batched inference");

        // The inference step keeps each record on the subtask its key went to (forward, same parallelism), so its
        // output is still partitioned by request ID: read as keyed, with no second shuffle, the recorder and the
        // sinks chain into the same task as admission and inference. With graphs the recorder also reads their
        // outcomes (forward edges too), so it has several inputs and runs as a task of its own.
        DataStream<Outcome> outcomes = inferred;
        if (graphStages != null) {
            for (DataStream<Outcome> g : graphStages.outcomes()) {
                outcomes = outcomes.union(g);
            }
        }
        SingleOutputStreamOperator<Outcome> recorded = DataStreamUtils
                .reinterpretAsKeyedStream(outcomes, o -> o.id, Types.STRING)
                .process(new OutcomeRecorder(ttl, Duration.ofMinutes(config.resultTtlMinutes()),
                        publishedFinals(config), config.statuses.acceptedDelayMs))
                .uid("outcomes").name("outcomes (one final status per request)");

        recorded.sinkTo(sink(config, "results", new RecordSerializers.Results(config.topics.results)))
                .uid("results-sink").name("results");
        DataStream<StatusUpdate> status = recorded.getSideOutput(OutcomeRecorder.STATUS);
        status.sinkTo(sink(config, "status", new RecordSerializers.Status(config.topics.status)))
                .uid("status-sink").name("status");
        DataStream<Rejection> deadLetters = rejected;
        if (graphStages != null) {
            for (DataStream<Rejection> g : graphStages.deadLetters()) {
                deadLetters = deadLetters.union(g);
            }
        }
        deadLetters.sinkTo(sink(config, "dlq", new RecordSerializers.DeadLetters(config.topics.deadLetters)))
                .uid("dlq-sink").name("dead letters");
    }

    /** Every version of every served graph ({@code models.serve}, or all of the repository when it is empty). */
    static List<GraphPlan> graphPlans(JobConfig config, ModelRepository repository) {
        List<GraphPlan> plans = new ArrayList<>();
        for (ModelRepository.ModelEntry g : repository.graphs()) {
            if (config.servedModels().includes(g.name())) {
                for (String v : g.versions()) {
                    plans.add(GraphPlan.of(g.version(v), repository));
                }
            }
        }
        return plans;
    }

    /** The models to load: those served, and the models of the served graphs' steps. */
    static ModelSelection loadedModels(JobConfig config, List<GraphPlan> graphs) {
        if (config.servedModels().isAll()) {
            return ModelSelection.all();
        }
        Set<String> models = new TreeSet<>(config.servedModels().names());
        for (GraphPlan g : graphs) {
            models.remove(g.graph());
            g.steps().forEach(s -> models.add(s.model));
        }
        return ModelSelection.only(models);
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

    static InferenceSettings inferenceSettings(JobConfig config, long maxInFlightBytes, ModelSelection models) {
        InferenceSettings.Builder b = InferenceSettings.builder()
                .modelsDir(config.models.dir)
                .models(models)
                .replicas(config.models.standIn.replicas())
                .device(config.models.device)
                .workers(config.models.workers)
                .timeoutMs(config.async.timeoutMs)
                .retries(config.async.retries)
                .retryDelayMs(config.async.retryDelayMs)
                .maxInFlightBytes(maxInFlightBytes)
                .defaultBatching(knobs(config.batching.defaults));
        config.batching.perModel.forEach((model, k) -> b.batching(model, knobs(k)));
        return b.build();
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
