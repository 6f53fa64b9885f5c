package io.streaminfer.bridge;

import io.streaminfer.bridge.batch.BatchService;
import io.streaminfer.bridge.callback.AddressPolicy;
import io.streaminfer.bridge.callback.CallbackDispatcher;
import io.streaminfer.bridge.callback.CallbackSender;
import io.streaminfer.bridge.callback.Signatures;
import io.streaminfer.bridge.config.BridgeConfig;
import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.grpc.InferenceService;
import io.streaminfer.bridge.grpc.StreamInferService;
import io.streaminfer.bridge.http.HttpApi;
import io.streaminfer.bridge.infer.Credentials;
import io.streaminfer.bridge.infer.MemoryBudget;
import io.streaminfer.bridge.infer.ModelStats;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.infer.StreamSlots;
import io.streaminfer.bridge.infer.SyncInference;
import io.streaminfer.bridge.jobs.JobView;
import io.streaminfer.bridge.jobs.ResultLookup;
import io.streaminfer.bridge.jobs.TokenLookup;
import io.streaminfer.bridge.kafka.ControlPublisher;
import io.streaminfer.bridge.kafka.JobProbe;
import io.streaminfer.bridge.kafka.KafkaClients;
import io.streaminfer.bridge.kafka.KafkaStartup;
import io.streaminfer.bridge.kafka.Readiness;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.TokenRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.pipeline.FlinkJobStatus;
import io.streaminfer.bridge.pipeline.JobHealth;
import io.streaminfer.bridge.tracing.BridgeTracing;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bridge replica: its Kafka clients, reply routing, job view, callbacks and HTTP server, started in order and
 * closed in reverse.
 *
 * <pre>{@code
 * try (Bridge bridge = Bridge.start(BridgeConfig.load(Path.of("bridge.yaml")))) {
 *     System.out.println("listening on " + bridge.port());
 * }
 * }</pre>
 */
public final class Bridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Vertx vertx;
    private HttpServer server;
    private HttpServer grpcServer;
    private ReplyRouter replies;
    private JobView jobs;
    private CallbackDispatcher callbacks;
    private BatchService batches;
    private Readiness readiness;
    private KafkaStartup startup;

    private Bridge() {}

    public static Bridge start(BridgeConfig config) {
        Bridge b = new Bridge();
        try {
            b.startParts(config);
            return b;
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    private void startParts(BridgeConfig c) {
        ModelRepository repository = ModelRepository.open(Path.of(c.modelsDir));
        BridgeMetrics metrics = new BridgeMetrics();
        vertx = Vertx.vertx();

        BridgeTracing tracing = BridgeTracing.start(c.tracing);
        if (tracing != null) {
            closeables.add(tracing); // closed after the producer, so its last sends' spans are exported
        }
        KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(c, "bridge-" + c.replicaId);
        closeables.add(() -> producer.close(Duration.ofSeconds(5)));
        // Online calls that name no priority get batches.online-priority: they run before batch lines (none).
        RequestPublisher publisher = new RequestPublisher(producer, c.topics.requests, c.batches.onlinePriority,
                tracing);

        // Generative models stream their text on the token topic and take cancels on the control topic: the bridge
        // needs those two only when the repository has one.
        boolean generative = repository.models().stream().anyMatch(e -> e.config().isGenerative());
        // The readers are made here and started by KafkaStartup once Kafka answers: nothing below blocks on the
        // brokers, so a slow or absent broker at start-up leaves the bridge serving health, not ready, until it is.
        replies = new ReplyRouter(KafkaClients.assignedConsumer(c, "bridge-replies-" + c.replicaId),
                c.topics.results, c.replicaId);
        closeables.add(replies);
        TokenRouter tokens = generative ? new TokenRouter(KafkaClients.tokenConsumer(c, "bridge-tokens-"
                + c.replicaId), c.topics.tokens, c.replicaId) : null;
        if (tokens != null) {
            closeables.add(tokens);
        }
        TokenLookup tokenLookup = new TokenLookup(tokens, c.jobs.resultSearchSlackMs);
        closeables.add(tokenLookup);
        jobs = new JobView(KafkaClients.assignedConsumer(c, "bridge-jobs-" + c.replicaId), c.topics.status,
                c.topics.callbacks, c.jobs.maxTracked);
        closeables.add(jobs);
        ResultLookup lookup = new ResultLookup(KafkaClients.assignedConsumer(c, "bridge-lookup-" + c.replicaId),
                c.topics.results, c.jobs.resultSearchSlackMs, c.jobs.resultCacheEntries);
        closeables.add(lookup);

        if (c.callbacks.enabled) {
            CallbackSender.Settings s = new CallbackSender.Settings();
            s.maxAttempts = c.callbacks.maxAttempts;
            s.initialBackoffMs = c.callbacks.initialBackoffMs;
            s.maxBackoffMs = c.callbacks.maxBackoffMs;
            s.connectTimeoutMs = c.callbacks.connectTimeoutMs;
            s.requestTimeoutMs = c.callbacks.requestTimeoutMs;
            CallbackSender sender = new CallbackSender(vertx, AddressPolicy.of(c.callbacks.allow),
                    new Signatures(c.callbacks.secret), s, CallbackSender.systemResolver());
            callbacks = new CallbackDispatcher(
                    KafkaClients.groupConsumer(c, "bridge-callbacks-" + c.replicaId, c.callbacks.groupId),
                    producer, c.topics.results, c.topics.callbacks, sender, metrics);
            closeables.add(callbacks);
        }

        if (c.batches.enabled) {
            batches = new BatchService(vertx, c, repository, publisher, replies, metrics);
            closeables.add(batches);
        }

        JobProbe probe = new JobProbe(publisher, replies, repository);
        Admin admin = Admin.create(c.kafkaClientProperties());
        FlinkJobStatus flink = c.flink.restUrl == null || c.flink.restUrl.isBlank() ? null
                : new FlinkJobStatus(URI.create(c.flink.restUrl), c.flink.jobName);
        readiness = new Readiness(admin, c.topics.requests, c.kafka.jobGroupId, c.readiness.requireJob,
                c.readiness.stallMs, this::ownPartsProblem, () -> probe.send(c.readiness.probeTimeoutMs),
                flink == null ? null : flink::condition,
                new JobHealth(c.readiness.jobGoneGraceMs, System::currentTimeMillis));
        closeables.add(readiness);
        Readiness judged = readiness;
        metrics.gauge("streaminfer_bridge_pipeline_job_down_seconds", "How long the pipeline job has not been running "
                + "as this replica sees it (restarting, starting, gone); 0 while it runs",
                () -> judged.jobDownMs() / 1000.0);
        metrics.gauge("streaminfer_bridge_requests_backlog", "Records on the requests topic past the pipeline job's "
                + "committed offsets (it commits at checkpoints); -1 before the first check", judged::requestsBacklog);

        List<String> topicsUsed = new ArrayList<>(List.of(c.topics.requests, c.topics.results, c.topics.status,
                c.topics.callbacks));
        if (generative) {
            topicsUsed.addAll(List.of(c.topics.tokens, c.topics.control));
        }
        if (batches != null) {
            topicsUsed.addAll(BatchService.topics(c));
        }
        startup = new KafkaStartup(admin, c.kafka.bootstrapServers, topicsUsed)
                .step("reading sync replies from " + c.topics.results,
                        topics -> replies.start(replyPartitions(c, topics.get(c.topics.results).partitions().size())),
                        replies::abortStart)
                .step("reading job states from " + c.topics.status + " and " + c.topics.callbacks,
                        topics -> jobs.start(), jobs::abortStart);
        if (tokens != null) {
            startup.step("reading streamed text from " + c.topics.tokens,
                    topics -> tokens.start(replyPartitions(c, topics.get(c.topics.results).partitions().size()),
                            topics.get(c.topics.tokens).partitions().size()), tokens::abortStart);
        }
        if (callbacks != null) {
            startup.step("joining the callback group on " + c.topics.results, topics -> callbacks.start(),
                    callbacks::abortStart);
        }
        if (batches != null) {
            startup.step("reading files and batches from " + c.topics.files + " and " + c.topics.batches,
                    topics -> batches.start(), batches::abortStart);
        }
        closeables.add(startup); // closed first: no start-up step may touch a client after it closed
        startup.start();
        readiness.start(c.readiness.checkIntervalMs);

        // HTTP and gRPC share one admission bound, one byte budget and one set of model statistics.
        ModelStats stats = new ModelStats();
        SyncInference sync = new SyncInference(vertx, publisher, replies, metrics, stats, c.http.maxInFlight, tracing,
                c.topics.results);
        MemoryBudget budget = new MemoryBudget(c.bufferedBytesBudget());
        GenerationCalls generations = new GenerationCalls(vertx, publisher, replies, tokens,
                new ControlPublisher(producer, c.topics.control), sync, metrics, stats);
        StreamSlots streams = new StreamSlots(c.streams.maxOpen);
        var router = HttpApi.builder(vertx).repository(repository).publisher(publisher).replies(replies)
                .jobs(jobs, lookup).metrics(metrics).admission(readiness).tokens(c.auth.tokens)
                .limits(c.http.maxBodyBytes, c.http.maxInFlight, c.http.retryAfterSeconds)
                .timeouts(c.timeouts.defaultMs, c.timeouts.maxMs).sync(sync, stats).budget(budget)
                .generation(generations, tokenLookup, c.generationTimeoutMs())
                .streams(streams, c.streams.keepAliveMs).batches(batches).build();
        server = await("HTTP", c.http.port, vertx.createHttpServer(new HttpServerOptions().setHost(c.http.host)
                .setPort(c.http.port).setCompressionSupported(false).setTcpNoDelay(true)).requestHandler(router)
                .listen());
        LOG.info("Bridge {} listening on {}:{} (auth {}, callbacks {})", c.replicaId, c.http.host,
                server.actualPort(), c.auth.tokens.isEmpty() ? "off" : "on", c.callbacks.enabled ? "on" : "off");
        if (c.grpc.enabled) {
            GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(c.http.maxBodyBytes));
            Credentials credentials = new Credentials(c.auth.tokens);
            new InferenceService(repository, sync, stats, credentials, budget, metrics,
                    readiness, c.timeouts.defaultMs, c.timeouts.maxMs).bind(grpc);
            new StreamInferService(new RequestChecks(repository), sync, generations, credentials, streams, metrics,
                    readiness, new StreamInferService.Timeouts(c.timeouts.defaultMs, c.generationTimeoutMs(),
                            c.timeouts.maxMs)).bind(grpc);
            String host = c.grpc.host == null ? c.http.host : c.grpc.host;
            grpcServer = await("gRPC", c.grpc.port, vertx.createHttpServer(new HttpServerOptions().setHost(host)
                    .setPort(c.grpc.port).setTcpNoDelay(true)).requestHandler(grpc).listen());
            LOG.info("Bridge {} serves gRPC (inference.GRPCInferenceService) on {}:{}", c.replicaId, host,
                    grpcServer.actualPort());
        }
    }

    /** Null when the bridge's own readers run; else why not (while starting: what it waits for). */
    private String ownPartsProblem() {
        String waiting = startup.waitingFor();
        if (waiting != null) {
            return waiting;
        }
        if (!(replies.isRunning() && jobs.isRunning() && jobs.isCaughtUp()
                && (callbacks == null || callbacks.isRunning()) && (batches == null || batches.isRunning()))) {
            return "the bridge's own topic readers are not running (or still reading the status topic)";
        }
        return null;
    }

    /**
     * The configured reply partitions, checked against the topic's {@code count}; else one chosen from the replica
     * ID. A mismatch is retried like a missing topic (partitions can be added), and readiness names it meanwhile.
     */
    private static List<Integer> replyPartitions(BridgeConfig c, int count) {
        if (!c.reply.partitions.isEmpty()) {
            for (int p : c.reply.partitions) {
                if (p >= count) {
                    throw new IllegalArgumentException("reply.partitions names partition " + p + " but '"
                            + c.topics.results + "' has " + count + " partitions (0-" + (count - 1) + ")");
                }
            }
            return c.reply.partitions;
        }
        int p = Utils.toPositive(Utils.murmur2(c.replicaId.getBytes(StandardCharsets.UTF_8))) % count;
        return List.of(p);
    }

    public int port() {
        return server.actualPort();
    }

    /** The gRPC port; -1 when gRPC is disabled. */
    public int grpcPort() {
        return grpcServer == null ? -1 : grpcServer.actualPort();
    }

    public boolean isReady() {
        return readiness != null && readiness.isReady();
    }

    /** Null when ready. */
    public String notReadyReason() {
        return readiness == null ? "starting" : readiness.notReadyReason();
    }

    /** Starts a server, saying which one and on what port when it cannot (a port in use, most often). */
    private static <T> T await(String server, int port, io.vertx.core.Future<T> f) {
        try {
            return await(f);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("could not start the " + server + " server on port " + port + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    private static <T> T await(io.vertx.core.Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (grpcServer != null) {
            try {
                await(grpcServer.close());
            } catch (RuntimeException e) {
                LOG.warn("gRPC server did not close cleanly", e);
            }
        }
        if (server != null) {
            try {
                await(server.close());
            } catch (RuntimeException e) {
                LOG.warn("HTTP server did not close cleanly", e);
            }
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                LOG.warn("Closing {} failed", closeables.get(i), e);
            }
        }
        if (vertx != null) {
            await(vertx.close());
        }
    }
}
