package io.streaminfer.bridge.http;

import io.streaminfer.bridge.batch.BatchService;
import io.streaminfer.bridge.console.ConsoleRoutes;
import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.infer.Credentials;
import io.streaminfer.bridge.infer.MemoryBudget;
import io.streaminfer.bridge.infer.ModelStats;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.infer.StreamSlots;
import io.streaminfer.bridge.infer.SyncInference;
import io.streaminfer.bridge.jobs.JobView;
import io.streaminfer.bridge.jobs.ResultLookup;
import io.streaminfer.bridge.jobs.TokenLookup;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.pipeline.Admission;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;

/**
 * The bridge's HTTP surface as one Vert.x router: health, metrics and the console's pages open; model metadata,
 * configuration, statistics, the repository index, inference, Triton's generate, jobs, OpenAI's API and the console's
 * API behind {@link AuthHandler};
 * each body bounded (413) and all bodies held at once bounded by a {@link MemoryBudget} (429 with Retry-After), open
 * streams bounded by {@link StreamSlots} (429); every error an OIP {@code {"error": ...}}, OpenAI's on its
 * endpoints.
 *
 * <pre>{@code
 * Router router = HttpApi.builder(vertx).repository(repo).publisher(pub).replies(router).jobs(view, lookup)
 *         .metrics(metrics).admission(readiness).tokens(List.of()).sync(sync, stats).budget(budget)
 *         .generation(calls, tokenLookup, 300_000).streams(new StreamSlots(256), 15_000).build();
 * }</pre>
 */
public final class HttpApi {
    private HttpApi() {}

    public static Builder builder(Vertx vertx) {
        return new Builder(vertx);
    }

    /** Collects the parts the routes need; {@link #build()} checks that none is missing. */
    public static final class Builder {
        private final Vertx vertx;
        private ModelRepository repository;
        private RequestPublisher publisher;
        private ReplyRouter replies;
        private JobView jobs;
        private ResultLookup results;
        private BridgeMetrics metrics;
        private Admission admission;
        private List<String> tokens = List.of();
        private int maxBodyBytes = 4 << 20;
        private int maxInFlight = 10_000;
        private int retryAfterSeconds = 1;
        private long defaultTimeoutMs = 30_000;
        private long maxTimeoutMs = 300_000;
        private SyncInference sync;
        private ModelStats stats;
        private MemoryBudget budget;
        private GenerationCalls generations;
        private TokenLookup tokenLookup;
        private long generationTimeoutMs = 300_000;
        private StreamSlots streamSlots;
        private long keepAliveMs = 15_000;
        private BatchService batches;

        private Builder(Vertx vertx) {
            this.vertx = vertx;
        }

        public Builder repository(ModelRepository r) {
            this.repository = r;
            return this;
        }

        public Builder publisher(RequestPublisher p) {
            this.publisher = p;
            return this;
        }

        public Builder replies(ReplyRouter r) {
            this.replies = r;
            return this;
        }

        public Builder jobs(JobView view, ResultLookup lookup) {
            this.jobs = view;
            this.results = lookup;
            return this;
        }

        public Builder metrics(BridgeMetrics m) {
            this.metrics = m;
            return this;
        }

        /** Readiness, and which requests this replica takes. */
        public Builder admission(Admission a) {
            this.admission = a;
            return this;
        }

        public Builder tokens(List<String> t) {
            this.tokens = List.copyOf(t);
            return this;
        }

        public Builder limits(int maxBodyBytes, int maxInFlight, int retryAfterSeconds) {
            this.maxBodyBytes = maxBodyBytes;
            this.maxInFlight = maxInFlight;
            this.retryAfterSeconds = retryAfterSeconds;
            return this;
        }

        public Builder timeouts(long defaultMs, long maxMs) {
            this.defaultTimeoutMs = defaultMs;
            this.maxTimeoutMs = maxMs;
            return this;
        }

        /** The sync calls and their statistics, shared with the gRPC endpoint; default: made here. */
        public Builder sync(SyncInference s, ModelStats st) {
            this.sync = s;
            this.stats = st;
            return this;
        }

        /** Bytes of request bodies held at once, shared with the gRPC endpoint; default: an eighth of the heap. */
        public Builder budget(MemoryBudget b) {
            this.budget = b;
            return this;
        }

        /** Sync generations, the token records of jobs, and a sync generation's default timeout. */
        public Builder generation(GenerationCalls calls, TokenLookup lookup, long timeoutMs) {
            this.generations = calls;
            this.tokenLookup = lookup;
            this.generationTimeoutMs = timeoutMs;
            return this;
        }

        /** The bound on open streams and the keep-alive interval of event streams. */
        public Builder streams(StreamSlots slots, long keepAliveMs) {
            this.streamSlots = slots;
            this.keepAliveMs = keepAliveMs;
            return this;
        }

        /** OpenAI's files and batches ({@code /v1/files}, {@code /v1/batches}); default: none (404). */
        public Builder batches(BatchService b) {
            this.batches = b;
            return this;
        }

        public Router build() {
            if (repository == null || publisher == null || replies == null || jobs == null || results == null
                    || metrics == null || admission == null || generations == null || tokenLookup == null
                    || streamSlots == null) {
                throw new IllegalStateException("HttpApi needs repository, publisher, replies, jobs, metrics, "
                        + "admission, generation and streams");
            }
            if (sync == null) {
                stats = new ModelStats();
                sync = new SyncInference(vertx, publisher, replies, metrics, stats, maxInFlight);
            }
            if (budget == null) {
                budget = new MemoryBudget(Math.max(MemoryBudget.defaultBytes(), maxBodyBytes));
            }
            SyncInference calls = sync;
            metrics.gauge("streaminfer_bridge_in_flight", "Sync calls waiting for their result", calls::inFlight);
            MemoryBudget bytes = budget;
            metrics.gauge("streaminfer_bridge_request_bytes_held", "Request body bytes this replica holds",
                    bytes::held);
            metrics.gauge("streaminfer_bridge_replies_unclaimed", "Replies read that no caller waited for",
                    replies::unclaimed);
            metrics.gauge("streaminfer_bridge_jobs_known", "Jobs in this replica's job view", jobs::size);
            metrics.gauge("streaminfer_bridge_results_awaited", "Result lookups of just-ended jobs that waited for "
                    + "the result to become readable after the final status", results::resultsAwaited);
            StreamSlots slots = streamSlots;
            metrics.gauge("streaminfer_bridge_streams_open", "Streams (server-sent events, gRPC ModelStreamInfer) "
                    + "open on this replica", slots::open);
            TokenLookup tokenRecords = tokenLookup;
            if (tokenRecords != null) {
                metrics.gauge("streaminfer_bridge_token_follows", "Generations whose token records this replica is "
                        + "reading now (streams, job events, text-so-far lookups)", tokenRecords::follows);
                metrics.gauge("streaminfer_bridge_token_records_read", "Token records this replica handed to its "
                        + "streams since it started", tokenRecords::delivered);
                metrics.gauge("streaminfer_bridge_token_gaps", "Token records a stream found missing (expired by "
                        + "retention before it read them)", tokenRecords::gaps);
            }
            RequestChecks checks = new RequestChecks(repository);
            RequestIntake intake = new RequestIntake(checks, metrics, admission);
            StreamAdmission streams = new StreamAdmission(vertx, streamSlots, keepAliveMs, retryAfterSeconds,
                    metrics);

            Router router = Router.router(vertx);
            new HealthRoutes(admission, metrics).mount(router);
            AuthHandler auth = new AuthHandler(new Credentials(tokens));
            router.route("/v2/models/*").handler(auth);
            router.route("/v2/repository/*").handler(auth);
            router.route("/v1/*").handler(auth);
            router.route("/console/api/*").handler(auth);
            if (batches != null) {
                batches.mountUpload(router); // streams its body to Kafka: before the body handlers
            }
            router.post().handler(new BodyBudget(bytes, maxBodyBytes, retryAfterSeconds, metrics));
            router.post().handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
            new ModelRoutes(repository, admission::notReadyReason, stats).mount(router);
            new InferRoute(intake, calls, defaultTimeoutMs, maxTimeoutMs, retryAfterSeconds).mount(router);
            new GenerateRoutes(checks, intake, generations, metrics, streams, generationTimeoutMs, maxTimeoutMs)
                    .mount(router);
            new JobRoutes(vertx, intake, checks, publisher, jobs, results, tokenLookup, generations, repository,
                    streams).mount(router);
            new OpenAiRoutes(repository, checks, intake, generations, metrics, streams, generationTimeoutMs,
                    maxTimeoutMs).mount(router);
            new OpenAiEmbeddings(repository, checks, intake, calls, metrics, defaultTimeoutMs, maxTimeoutMs,
                    retryAfterSeconds).mount(router);
            new ConsoleRoutes(repository, jobs).mount(router);
            if (batches != null) {
                batches.mount(router);
            }

            router.errorHandler(413, ctx -> Replies.error(ctx, 413, "request body larger than the limit of "
                    + maxBodyBytes + " bytes"));
            router.errorHandler(404, ctx -> Replies.error(ctx, 404, "no such endpoint: " + ctx.request().method()
                    + " " + ctx.request().path()));
            router.errorHandler(405, ctx -> Replies.error(ctx, 405, "method " + ctx.request().method()
                    + " is not allowed on " + ctx.request().path()));
            router.errorHandler(500, ctx -> Replies.error(ctx, 500, "internal error"
                    + (ctx.failure() == null ? "" : ": " + ctx.failure().getMessage())));
            return router;
        }
    }
}
