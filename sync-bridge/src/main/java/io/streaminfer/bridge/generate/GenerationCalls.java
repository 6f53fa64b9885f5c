package io.streaminfer.bridge.generate;

import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.ModelStats;
import io.streaminfer.bridge.infer.SyncInference;
import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.bridge.kafka.ControlPublisher;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.TokenRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.kafka.TokenFollow;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.TokenRecord;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sync generations, whatever the transport (OpenAI's API, Triton's generate, gRPC ModelStreamInfer): a streamed one
 * ({@link #stream}) names this replica's reply partition, so its token records come to this replica's router like
 * its result, and hands each text delta to a {@link Sink} as it is committed; an unstreamed one ({@link #once}) is a
 * sync call whose result is the whole text. A caller that goes away before the end cancels its generation on the
 * control topic: the engine frees its slot within a step (a job submitted by {@code POST /v1/jobs} never does).
 *
 * <pre>{@code
 * GenerationCalls.Streamed s = calls.stream(checked, 60_000, sink);   // on a Vert.x context
 * response.closeHandler(v -> s.abandon());                             // the client went away
 * }</pre>
 */
public final class GenerationCalls {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationCalls.class);
    /** The job ends a generation at its deadline; the bridge gives up only this much later (job down, say). */
    static final long GIVE_UP_AFTER_DEADLINE_MS = 10_000;

    private final Vertx vertx;
    private final RequestPublisher publisher;
    private final ReplyRouter router;
    private final TokenRouter tokens;
    private final ControlPublisher controls;
    private final SyncInference sync;
    private final BridgeMetrics metrics;
    private final ModelStats stats;

    public GenerationCalls(Vertx vertx, RequestPublisher publisher, ReplyRouter router, TokenRouter tokens,
            ControlPublisher controls, SyncInference sync, BridgeMetrics metrics, ModelStats stats) {
        this.vertx = vertx;
        this.publisher = publisher;
        this.router = router;
        this.tokens = tokens;
        this.controls = controls;
        this.sync = sync;
        this.metrics = metrics;
        this.stats = stats;
    }

    /** Where a streamed generation's text goes, on the context that started it. */
    public interface Sink {
        /** The brokers have the request: what fails now fails after the job took it. */
        default void accepted() {
        }

        /** The next piece of text (never empty), in order. */
        void delta(String text);

        /** The end; called once, with the whole text assembled. */
        void end(GenerationEnd end);
    }

    /** Cancels {@code jobId} in the job (idempotent); {@code cause} labels the metric. */
    public CompletableFuture<Void> cancel(String jobId, String cause, String reason) {
        metrics.cancelSent(cause);
        LOG.info("Cancelling generation {}: {}", jobId, reason);
        return controls.cancel(jobId, reason).whenComplete((ok, error) -> {
            if (error != null) {
                LOG.warn("Could not send the cancel of {}: {}", jobId, error.toString());
            }
        });
    }

    /**
     * Starts a streamed generation ({@code checked} must ask to stream: {@code RequestChecks#streaming}); call on a
     * Vert.x context: the sink hears on it.
     */
    public Streamed stream(CheckedRequest checked, long timeoutMs, Sink sink) {
        Context context = vertx.getOrCreateContext();
        int replyPartition = router.nextPartition();
        String jobId = JobIds.sync(replyPartition);
        Streamed s = new Streamed(jobId, checked, sink, timeoutMs);
        // Both before publishing: neither a fast result nor a fast token may come before anyone listens.
        CompletableFuture<Reply> reply = router.register(jobId);
        s.follow = tokens.follow(jobId, JobIds.resultPartition(jobId, tokens.partitions()), -1, -1,
                record -> context.runOnContext(v -> s.token(record)));
        RequestPublisher.Routing routing = checked.routing().replyTo(router.replicaId(), replyPartition)
                .deadline(System.currentTimeMillis() + timeoutMs);
        publisher.publish(jobId, checked.body(), routing).whenComplete((ok, error) -> context.runOnContext(v -> {
            if (error != null) {
                LOG.warn("Could not publish generation {}: {}", jobId, error.toString());
                s.end(GenerationEnd.failed(503, null, "could not hand the request to Kafka: " + error.getMessage()));
            } else if (!s.ended) {
                sink.accepted();
            }
        }));
        reply.whenComplete((r, error) -> context.runOnContext(v -> s.result(r, error)));
        s.timer = vertx.setTimer(timeoutMs + GIVE_UP_AFTER_DEADLINE_MS, t -> s.gaveUp());
        return s;
    }

    /** One streamed generation; its methods run on its context. */
    public final class Streamed {
        private final String jobId;
        private final CheckedRequest checked;
        private final Sink sink;
        private final long timeoutMs;
        private final long started = System.nanoTime();
        private final StringBuilder text = new StringBuilder();
        private TokenFollow follow;
        private long timer = -1;
        private boolean ended;

        Streamed(String jobId, CheckedRequest checked, Sink sink, long timeoutMs) {
            this.jobId = jobId;
            this.checked = checked;
            this.sink = sink;
            this.timeoutMs = timeoutMs;
        }

        public String jobId() {
            return jobId;
        }

        /** Whether it has ended (the sink heard the end, or the caller went away). */
        public boolean ended() {
            return ended;
        }

        /** The caller went away before the end: the job stops the generation at its next step. */
        public void abandon() {
            if (ended) {
                return;
            }
            finish();
            cancel(jobId, "client_gone", "the client of a streamed generation went away");
        }

        private void token(TokenRecord r) {
            if (ended) {
                return;
            }
            if (!r.text().isEmpty()) {
                if (text.length() == 0) {
                    metrics.firstToken(checked.model(), System.nanoTime() - started);
                }
                text.append(r.text());
                sink.delta(r.text());
            }
            if (r.last()) {
                GenerationEnd end = GenerationEnd.ofLastToken(r);
                if (end != null) {
                    end(end.withText(text.toString()));
                }
            }
        }

        /**
         * The result: it ends the stream when it comes before the last token record (another partition of the same
         * consumer may be read later), its text filling in what the records have not brought yet.
         */
        private void result(Reply r, Throwable error) {
            if (ended) {
                return;
            }
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                end(GenerationEnd.failed(503, null, "the bridge is shutting down: " + cause.getMessage()));
                return;
            }
            GenerationEnd end = GenerationEnd.ofResult(r);
            if (end.text() != null) {
                String whole = end.text();
                if (whole.length() > text.length() && whole.startsWith(text.toString())) {
                    String rest = whole.substring(text.length());
                    text.append(rest);
                    sink.delta(rest);
                }
            }
            end(end.withText(text.toString()));
        }

        /** The job had its deadline long ago and nothing ended it (the job down, say): stop waiting, and cancel. */
        private void gaveUp() {
            if (ended) {
                return;
            }
            cancel(jobId, "timeout", "no end within the generation's timeout of " + timeoutMs + " ms");
            end(GenerationEnd.expired("no end within " + timeoutMs + " ms, the request's deadline; its final state "
                    + "will be at /v1/jobs/" + jobId).withText(text.toString()));
        }

        private void end(GenerationEnd end) {
            if (ended) {
                return;
            }
            finish();
            long nanos = System.nanoTime() - started;
            if (end.succeeded()) {
                stats.success(checked.model(), checked.version().version(), 1, nanos, -1, -1);
            } else if (end.kind() != GenerationEnd.Kind.CANCELLED) {
                stats.failure(checked.model(), checked.version().version(), nanos);
            }
            sink.end(end);
        }

        private void finish() {
            ended = true;
            if (follow != null) {
                follow.close();
            }
            router.forget(jobId);
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }
    }

    /**
     * An unstreamed generation: a sync call whose result is the whole text. Null when this replica already has
     * {@code http.max-in-flight} calls waiting (shed the caller).
     */
    public Once once(CheckedRequest checked, long timeoutMs) {
        SyncInference.Call call = sync.start(checked, timeoutMs);
        return call == null ? null : new Once(call);
    }

    /** One unstreamed generation. */
    public final class Once {
        private final SyncInference.Call call;
        private final CompletableFuture<GenerationEnd> end;
        private boolean done;

        Once(SyncInference.Call call) {
            this.call = call;
            this.end = call.outcome().thenApply(this::end);
        }

        public String jobId() {
            return call.jobId();
        }

        /** Completes on the context that started it; not at all when the caller went away. */
        public CompletableFuture<GenerationEnd> end() {
            return end;
        }

        private GenerationEnd end(SyncInference.Outcome o) {
            done = true;
            return switch (o.kind()) {
                case ANSWERED -> GenerationEnd.ofResult(o.reply());
                case TIMED_OUT -> GenerationEnd.expired("no result within " + o.timeoutMs() + " ms, the request's "
                        + "deadline; its final state will be at /v1/jobs/" + call.jobId());
                case PUBLISH_FAILED -> GenerationEnd.failed(503, null, "could not hand the request to Kafka: "
                        + o.error().getMessage());
                case CANCELLED -> null;
                default -> GenerationEnd.failed(500, ErrorCode.INTERNAL, "internal error: " + o.error().getMessage());
            };
        }

        /** The caller went away before the answer: the job stops the generation at its next step. */
        public void abandon() {
            if (done) {
                return;
            }
            done = true;
            call.cancel();
            cancel(call.jobId(), "client_gone", "the client of a generation went away");
        }
    }
}
