package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.bridge.jobs.JobState;
import io.streaminfer.bridge.jobs.JobView;
import io.streaminfer.bridge.jobs.ResultLookup;
import io.streaminfer.bridge.jobs.TokenLookup;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.kafka.TokenFollow;
import io.streaminfer.bridge.pipeline.Admission;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The asynchronous side: {@code POST /v1/jobs/{model}[/versions/{v}]} → 202 with the job ID;
 * {@code GET /v1/jobs/{id}} → its status, with the OIP response once it succeeded; {@code GET /v1/jobs/{id}/events}
 * → server-sent events of its status changes until a final state (then a {@code result} event). Everything is
 * answered from the {@link JobView} and {@link ResultLookup}, i.e. from Kafka, so any replica answers for any job.
 *
 * <p>A generative model's job always streams its text on the token topic: its status shows the {@code text} so far,
 * its events carry each record as a {@code token} event whose {@code id} is the record's sequence number, so a client
 * that reconnects with {@code Last-Event-ID} (any replica, also one restarted since) gets the rest and nothing twice;
 * {@code DELETE /v1/jobs/{id}} or {@code POST /v1/jobs/{id}/cancel} stops it (CANCELLED with the text so far).
 */
final class JobRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(JobRoutes.class);
    /** How long the event stream of a job no replica has seen yet waits for its first status. */
    private static final long UNKNOWN_JOB_GRACE_MS = 5_000;

    private final Vertx vertx;
    private final RequestIntake intake;
    private final RequestChecks checks;
    private final RequestPublisher publisher;
    private final JobView jobs;
    private final ResultLookup results;
    private final TokenLookup tokens;
    private final GenerationCalls generations;
    private final ModelRepository repository;
    private final StreamAdmission streams;

    JobRoutes(Vertx vertx, RequestIntake intake, RequestChecks checks, RequestPublisher publisher, JobView jobs,
            ResultLookup results, TokenLookup tokens, GenerationCalls generations, ModelRepository repository,
            StreamAdmission streams) {
        this.vertx = vertx;
        this.intake = intake;
        this.checks = checks;
        this.publisher = publisher;
        this.jobs = jobs;
        this.results = results;
        this.tokens = tokens;
        this.generations = generations;
        this.repository = repository;
        this.streams = streams;
    }

    void mount(Router r) {
        r.post("/v1/jobs/:name").handler(this::submit);
        r.post("/v1/jobs/:name/versions/:version").handler(this::submit);
        r.post("/v1/jobs/:id/cancel").handler(this::cancel);
        r.delete("/v1/jobs/:id").handler(this::cancel);
        r.get("/v1/jobs/:id").handler(this::status);
        r.get("/v1/jobs/:id/events").handler(this::events);
    }

    private void submit(RoutingContext ctx) {
        CheckedRequest accepted = intake.accept(ctx, "job_submit");
        if (accepted == null) {
            return;
        }
        CheckedRequest checked;
        try {
            checked = checks.streaming(accepted); // a generation job always streams: its events carry its text
        } catch (InferenceException e) {
            Replies.error(ctx, e.code().httpStatus(), e.getMessage());
            return;
        }
        // Taken whenever Kafka takes it (a restarting job reads it when it runs again); its wait is its deadline.
        long waitMs = checked.options().hasDeadline()
                ? Math.max(0, checked.options().deadlineMs() - System.currentTimeMillis()) : Admission.NO_LIMIT;
        if (!intake.admit(ctx, waitMs)) {
            return;
        }
        String model = checked.model();
        String jobId = JobIds.async();
        Context context = vertx.getOrCreateContext();
        publisher.publish(jobId, checked.body(), checked.routing())
                .whenComplete((ok, error) -> context.runOnContext(v -> {
                    if (error != null) {
                        LOG.warn("Could not publish job {}: {}", jobId, error.toString());
                        Replies.error(ctx, 503, "could not hand the request to Kafka: " + error.getMessage());
                        return;
                    }
                    jobs.noteSubmitted(jobId, model, checked.version().version());
                    ObjectNode o = Replies.object();
                    o.put("job_id", jobId);
                    o.put("state", JobState.SUBMITTED);
                    o.put("status_url", "/v1/jobs/" + jobId);
                    o.put("events_url", "/v1/jobs/" + jobId + "/events");
                    if (checked.isGeneration()) {
                        o.put("cancel_url", "/v1/jobs/" + jobId + "/cancel");
                    }
                    ctx.response().putHeader("Location", "/v1/jobs/" + jobId);
                    Replies.json(ctx, 202, o);
                }));
    }

    private void status(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        JobState job = JobIds.plausible(id) ? jobs.get(id) : null;
        if (job == null) {
            unknown(ctx, id);
            return;
        }
        Context context = vertx.getOrCreateContext();
        CompletableFuture<Optional<Reply>> result = resultOf(job);
        CompletableFuture<TokenLookup.SoFar> text = result.thenCompose(r -> textSoFar(job, r));
        text.whenComplete((soFar, error) -> context.runOnContext(v -> {
            Optional<Reply> reply = result.isCompletedExceptionally() ? Optional.empty() : result.join();
            if (error != null) {
                LOG.warn("Result or text lookup of job {} failed", id, error);
            }
            ObjectNode o = view(job, reply, result.isCompletedExceptionally(), true);
            if (soFar != null) {
                o.put("text", soFar.text());
                if (!soFar.complete()) {
                    o.put("text_incomplete", "the token topic took too long to read; retry for the rest");
                }
            }
            Replies.json(ctx, 200, o);
        }));
    }

    /**
     * A generation's text: from its result when it has one (finished, cancelled), else from the token topic (still
     * running, expired, failed); null for other models.
     */
    private CompletableFuture<TokenLookup.SoFar> textSoFar(JobState job, Optional<Reply> reply) {
        if (!isGeneration(job)) {
            return CompletableFuture.completedFuture(null);
        }
        if (reply.isPresent() && reply.get().isSuccess()) {
            GenerationEnd end = GenerationEnd.ofResult(reply.get());
            return CompletableFuture.completedFuture(new TokenLookup.SoFar(end.text(), -1, null, true));
        }
        if (!tokens.available()) {
            return CompletableFuture.completedFuture(null);
        }
        return tokens.soFar(job);
    }

    private boolean isGeneration(JobState job) {
        if (job.model == null) {
            return false;
        }
        try {
            return repository.model(job.model).config().isGenerative();
        } catch (RuntimeException e) {
            return false; // a model no longer in the repository
        }
    }

    private void unknown(RoutingContext ctx, String id) {
        if (!jobs.isCaughtUp()) {
            Replies.error(ctx, 503, "this replica is still reading the job history; retry shortly");
        } else {
            Replies.error(ctx, 404, "unknown job '" + id + "' (never submitted, or older than this replica "
                    + "remembers)");
        }
    }

    /** The result of a final job, looked up on the results topic; empty for a job still running. */
    private CompletableFuture<Optional<Reply>> resultOf(JobState job) {
        if (!job.isFinal()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return results.find(job.id, job.acceptedAt, job.updatedAt);
    }

    /** @param withResult whether the result (or why it is missing) belongs in this view; events send it apart */
    private static ObjectNode view(JobState job, Optional<Reply> reply, boolean lookupFailed, boolean withResult) {
        ObjectNode o = Replies.object();
        o.put("job_id", job.id);
        if (job.model != null) {
            o.put("model", job.model);
        }
        if (job.modelVersion != null) {
            o.put("model_version", job.modelVersion);
        }
        o.put("state", job.state);
        if (job.step != null) {
            o.put("step", job.step);
        }
        if (job.errorCode != null) {
            o.put("error_code", job.errorCode);
        }
        if (job.traceId != null) {
            o.put("trace_id", job.traceId); // the W3C trace it was sent with: find it in the trace viewer
        }
        if (job.reason != null) {
            o.put("reason", job.reason);
        }
        if (job.acceptedAt > 0) {
            o.put("accepted_at", job.acceptedAt);
        }
        o.put("updated_at", job.updatedAt);
        if (job.callback != null) {
            o.set("callback", OipJson.MAPPER.valueToTree(job.callback));
        }
        if (reply.isPresent()) {
            o.putRawValue("result", new RawValue(new String(reply.get().jsonBody(), StandardCharsets.UTF_8)));
        } else if (withResult && job.isFinal()) {
            o.put("result_unavailable", lookupFailed ? "the results topic could not be read; retry"
                    : "the result is no longer on the results topic (retention)");
        }
        return o;
    }

    // ---------------------------------------------------------------- cancel

    private void cancel(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        JobState job = JobIds.plausible(id) ? jobs.get(id) : null;
        if (job == null) {
            unknown(ctx, id);
            return;
        }
        if (!isGeneration(job)) {
            Replies.error(ctx, 409, "job '" + id + "' is not a generation: only generations can be cancelled");
            return;
        }
        if (job.isFinal()) {
            ObjectNode o = view(job, Optional.empty(), false, false);
            o.put("cancel", "not sent: the job had already ended " + job.state);
            Replies.json(ctx, 200, o);
            return;
        }
        Context context = vertx.getOrCreateContext();
        generations.cancel(id, "api", "cancelled through the bridge's API")
                .whenComplete((ok, error) -> context.runOnContext(v -> {
                    if (error != null) {
                        Replies.error(ctx, 503, "could not hand the cancel to Kafka: " + error.getMessage());
                        return;
                    }
                    ObjectNode o = view(job, Optional.empty(), false, false);
                    o.put("cancel", "sent: the generation stops at its next step and ends "
                            + RequestState.CANCELLED + " with its text so far");
                    Replies.json(ctx, 202, o);
                }));
    }

    // ---------------------------------------------------------------- events

    private void events(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!JobIds.plausible(id)) {
            Replies.error(ctx, 404, "unknown job '" + id + "'");
            return;
        }
        int afterSeq;
        try {
            afterSeq = lastEventId(ctx);
        } catch (IllegalArgumentException e) {
            Replies.error(ctx, 400, e.getMessage());
            return;
        }
        if (!streams.admit(ctx)) {
            return;
        }
        new EventStream(ctx, id, afterSeq, vertx.getOrCreateContext()).start();
    }

    /**
     * The last token event a reconnecting client saw: the {@code Last-Event-ID} header (what EventSource sends), or
     * a {@code last_event_id} query parameter; -1 for none.
     */
    static int lastEventId(RoutingContext ctx) {
        String v = ctx.request().getHeader("Last-Event-ID");
        if (v == null || v.isBlank()) {
            v = ctx.request().getParam("last_event_id");
        }
        if (v == null || v.isBlank()) {
            return -1;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= -1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new IllegalArgumentException("Last-Event-ID must be the sequence number of the last token event "
                + "received, got '" + v + "'");
    }

    /** One client's event stream; everything runs on its context. */
    private final class EventStream {
        private final RoutingContext ctx;
        private final String id;
        private final int afterSeq;
        private final Context context;
        private Sse sse;
        private Runnable unwatch;
        private TokenFollow follow;
        private long graceTimer = -1;
        private boolean finalSeen;
        private boolean done;

        EventStream(RoutingContext ctx, String id, int afterSeq, Context context) {
            this.ctx = ctx;
            this.id = id;
            this.afterSeq = afterSeq;
            this.context = context;
        }

        void start() {
            graceTimer = vertx.setTimer(UNKNOWN_JOB_GRACE_MS, t -> {
                if (sse == null && !done) {
                    stop();
                    unknown(ctx, id);
                }
            });
            ctx.addEndHandler(ar -> stop()); // the client left, or the stream ended
            unwatch = jobs.watch(id, state -> context.runOnContext(v -> changed(state)));
            if (done) {
                unwatch.run(); // the connection closed while the watch was being set up
            }
        }

        private void changed(JobState state) {
            if (done || finalSeen) {
                return; // after the final state only the result event is left to send
            }
            if (sse == null) {
                vertx.cancelTimer(graceTimer);
                sse = streams.open(ctx, () -> { });
                if (isGeneration(state) && tokens.available()) {
                    follow = tokens.follow(state, afterSeq, new TokenFollow.Listener() {
                        @Override
                        public void onToken(TokenRecord record) {
                            context.runOnContext(v -> token(record));
                        }

                        @Override
                        public void onCaughtUp() {
                            context.runOnContext(v -> sendResult());
                        }
                    });
                }
            }
            sse.event("status", null, view(state, Optional.empty(), false, false).toString());
            if (state.isFinal()) {
                finalSeen = true;
                if (follow != null) {
                    // Its records were committed before its final status: send every one, then the result.
                    follow.catchUp();
                } else {
                    sendResult();
                }
            }
        }

        private void token(TokenRecord record) {
            if (!done) {
                sse.event("token", Integer.toString(record.seq()), new String(record.toJson(),
                        StandardCharsets.UTF_8));
            }
        }

        private void sendResult() {
            JobState state = jobs.get(id);
            if (done || state == null) {
                stop();
                return;
            }
            resultOf(state).whenComplete((reply, error) -> context.runOnContext(x -> {
                if (reply != null && reply.isPresent() && !done) {
                    sse.event("result", null, new String(reply.get().jsonBody(), StandardCharsets.UTF_8));
                }
                if (sse != null) {
                    sse.end();
                }
                stop();
            }));
        }

        private void stop() {
            if (done) {
                return;
            }
            done = true;
            vertx.cancelTimer(graceTimer);
            if (unwatch != null) {
                unwatch.run();
            }
            if (follow != null) {
                follow.close();
            }
        }
    }
}
