package io.streaminfer.bridge.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.bridge.jobs.JobState;
import io.streaminfer.bridge.jobs.JobView;
import io.streaminfer.bridge.jobs.ResultLookup;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.pipeline.Admission;
import io.streaminfer.contract.OipJson;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The asynchronous side: {@code POST /v1/jobs/{model}[/versions/{v}]} → 202 with the job ID;
 * {@code GET /v1/jobs/{id}} → its status, with the OIP response once it succeeded; {@code GET /v1/jobs/{id}/events}
 * → server-sent events of its status changes until a final state (then a {@code result} event). Everything is
 * answered from the {@link JobView} and {@link ResultLookup}, i.e. from Kafka, so any replica answers for any job.
 */
final class JobRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(JobRoutes.class);
    private static final long HEARTBEAT_MS = 15_000;
    /** How long the event stream of a job no replica has seen yet waits for its first status. */
    private static final long UNKNOWN_JOB_GRACE_MS = 5_000;

    private final Vertx vertx;
    private final RequestIntake intake;
    private final RequestPublisher publisher;
    private final JobView jobs;
    private final ResultLookup results;

    JobRoutes(Vertx vertx, RequestIntake intake, RequestPublisher publisher, JobView jobs, ResultLookup results) {
        this.vertx = vertx;
        this.intake = intake;
        this.publisher = publisher;
        this.jobs = jobs;
        this.results = results;
    }

    void mount(Router r) {
        r.post("/v1/jobs/:name").handler(this::submit);
        r.post("/v1/jobs/:name/versions/:version").handler(this::submit);
        r.get("/v1/jobs/:id").handler(this::status);
        r.get("/v1/jobs/:id/events").handler(this::events);
    }

    private void submit(RoutingContext ctx) {
        CheckedRequest checked = intake.accept(ctx, "job_submit");
        if (checked == null) {
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
        resultOf(job).whenComplete((reply, error) -> context.runOnContext(v -> {
            if (error != null) {
                LOG.warn("Result lookup of job {} failed", id, error);
            }
            Replies.json(ctx, 200, view(job, reply == null ? Optional.empty() : reply, error != null, true));
        }));
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

    private void events(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!JobIds.plausible(id)) {
            Replies.error(ctx, 404, "unknown job '" + id + "'");
            return;
        }
        HttpServerResponse response = ctx.response();
        Context context = vertx.getOrCreateContext();
        AtomicBoolean done = new AtomicBoolean();
        AtomicBoolean finalSeen = new AtomicBoolean();
        long[] timers = new long[2];
        Runnable[] unwatch = new Runnable[1];
        Runnable finish = () -> {
            if (done.compareAndSet(false, true)) {
                if (unwatch[0] != null) {
                    unwatch[0].run();
                }
                vertx.cancelTimer(timers[0]);
                vertx.cancelTimer(timers[1]);
                if (!response.ended() && !response.closed()) {
                    response.end();
                }
            }
        };
        response.closeHandler(v -> finish.run());
        timers[1] = vertx.setTimer(UNKNOWN_JOB_GRACE_MS, t -> {
            if (!response.headWritten() && !done.get()) {
                done.set(true);
                if (unwatch[0] != null) {
                    unwatch[0].run();
                }
                vertx.cancelTimer(timers[0]);
                unknown(ctx, id);
            }
        });
        unwatch[0] = jobs.watch(id, state -> context.runOnContext(v -> {
            if (done.get() || finalSeen.get()) {
                return; // after the final state only the result event is left to send
            }
            if (!response.headWritten()) {
                response.setChunked(true).setStatusCode(200)
                        .putHeader("Content-Type", "text/event-stream")
                        .putHeader("Cache-Control", "no-cache")
                        .putHeader("X-Accel-Buffering", "no"); // let proxies pass events at once
                vertx.cancelTimer(timers[1]);
                timers[0] = vertx.setPeriodic(HEARTBEAT_MS, t -> response.write(": keep-alive\n\n"));
            }
            send(response, "status", OipJson.MAPPER.valueToTree(view(state, Optional.empty(), false, false)).toString());
            if (state.isFinal() && finalSeen.compareAndSet(false, true)) {
                resultOf(state).whenComplete((reply, error) -> context.runOnContext(x -> {
                    if (reply != null && reply.isPresent() && !done.get()) {
                        send(response, "result", new String(reply.get().jsonBody(), StandardCharsets.UTF_8));
                    }
                    finish.run();
                }));
            }
        }));
        if (done.get() && unwatch[0] != null) {
            unwatch[0].run(); // the connection closed while the watch was being set up
        }
    }

    private static void send(HttpServerResponse response, String event, String json) {
        if (response.ended() || response.closed()) {
            return;
        }
        // JSON written by Jackson has no raw newlines, so each event's data is one line.
        response.write(Buffer.buffer("event: " + event + "\ndata: " + json + "\n\n"));
    }
}
