package io.streaminfer.bridge.batch.feed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.batch.store.BatchLog;
import io.streaminfer.bridge.batch.store.BatchRecord;
import io.streaminfer.bridge.batch.store.BatchStatus;
import io.streaminfer.bridge.batch.store.ChunkReader;
import io.streaminfer.bridge.batch.store.FileRecord;
import io.streaminfer.bridge.batch.store.FileStore;
import io.streaminfer.bridge.batch.store.Ids;
import io.streaminfer.bridge.batch.store.LineSplitter;
import io.streaminfer.bridge.batch.store.Progress;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.openai.OpenAiError;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch fed by this replica, on a thread of its own, from where its last owner left it ({@link Progress}): its
 * input validated (when it was {@code validating}), then its lines streamed from the input file, translated
 * ({@link LineTranslator}) and sent as requests on the requests topic under the request IDs {@code <batch
 * ID>:<custom_id>} (with no priority: below online calls), no more at a time than the {@link FeedWindow} allows; each
 * line's answer goes to the output or error file ({@link OutputFiles}) when its results come back on this replica's
 * reply partition; progress is checkpointed every {@code checkpointIntervalMs}; at the end the files are saved and
 * the batch ends {@code completed}, {@code cancelled} or {@code expired}. A cancel or the end of the completion window
 * stops the feeding; lines already sent finish, and the lines never sent are given up with {@code batch_cancelled} /
 * {@code batch_expired}. A {@link #stop()} (this replica loses the batch's partition or closes) ends the run without
 * finishing anything: the next owner resumes from the checkpoint, sending again the lines not yet done, which the job
 * answers once (a request ID it has seen is answered from its state).
 */
final class BatchRun implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRun.class);
    private static final long PUBLISH_RETRY_MS = 2_000;
    private static final long TICK_MS = 50;

    /** What a run needs of the replica. */
    record Parts(FileStore files, BatchLog log, RequestPublisher publisher, ReplyRouter router,
            ModelRepository repository, RequestChecks checks, FeedWindow window, Executor answers,
            FeedSettings settings) { }

    private final Parts parts;
    private final FileRecord input;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final Map<Long, Sent> inFlight = new ConcurrentHashMap<>();
    private final Object answered = new Object();
    private BatchRecord batch;
    private Progress progress;
    private volatile Long cancelAtMs;
    private volatile boolean stopped;
    /** A line came back expired (the job ended it at its deadline, the window's end); the run's thread notes it. */
    private volatile boolean expiredSeen;
    private OutputFiles outputs;
    private LineTranslator translator;
    private long resumeNext;
    private long highestSent = -1;
    private long lastCheckpoint;
    private long lastResendSweep;

    /** A line sent and not answered yet. */
    private static final class Sent {
        final InputLine line;
        final List<String> ids;
        final LinePlan.Send plan;
        final int replyPartition;
        final List<CompletableFuture<Reply>> replies;
        volatile long sentNanos;
        volatile long sentMs;
        volatile long publishFailedMs;

        Sent(InputLine line, List<String> ids, LinePlan.Send plan, int replyPartition,
                List<CompletableFuture<Reply>> replies) {
            this.line = line;
            this.ids = ids;
            this.plan = plan;
            this.replyPartition = replyPartition;
            this.replies = replies;
        }
    }

    /** Thrown on the run's thread when it must stop: nothing more is written. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super(null, null, false, false);
        }
    }

    BatchRun(Parts parts, BatchRecord batch, Progress progress, Long cancelAtMs, FileRecord input) {
        this.parts = parts;
        this.batch = batch;
        this.progress = progress;
        this.cancelAtMs = cancelAtMs;
        this.input = input;
    }

    String batchId() {
        return batch.id();
    }

    /** Whether the run ended because it was told to stop (the batch did not end). */
    boolean wasStopped() {
        return stopped;
    }

    /** Completes when the run's thread is done: normally when the batch ended; exceptionally when it failed. */
    CompletableFuture<Void> ended() {
        return ended;
    }

    /** A cancel came (epoch ms). */
    void cancel(long atMs) {
        if (cancelAtMs == null) {
            cancelAtMs = atMs;
            LOG.info("Batch {} cancelled: it stops feeding lines", batch.id());
        }
    }

    /** Ends the run at its next step, finishing nothing (the batch's partition went to another replica). */
    void stop() {
        stopped = true;
        synchronized (answered) {
            answered.notifyAll();
        }
    }

    @Override
    public void run() {
        try {
            if (batch.status() == BatchStatus.VALIDATING && !validate()) {
                ended.complete(null);
                return;
            }
            feed();
            finish();
            ended.complete(null);
        } catch (Stopped e) {
            LOG.info("Batch {} handed over: {} line(s) in flight will be sent again by its next feeder", batch.id(),
                    inFlight.size());
            ended.complete(null);
        } catch (Throwable e) {
            ended.completeExceptionally(e);
        } finally {
            for (Sent s : inFlight.values()) {
                s.ids.forEach(parts.router()::forget);
                parts.window().forget(s.ids.size());
            }
            inFlight.clear();
        }
    }

    private void checkStop() {
        if (stopped) {
            throw new Stopped();
        }
    }

    // ------------------------------------------------------------------------------------------------ validation

    /** False when the batch failed validation (and is ended). */
    private boolean validate() {
        long now = seconds();
        BatchEndpoint endpoint = BatchEndpoint.parse(batch.endpoint());
        if (input == null) {
            save(batch.failed(now, List.of(new BatchRecord.Problem("invalid_file", "the input file "
                    + batch.inputFileId() + " does not exist (it was deleted)", "input_file_id", null))));
            return false;
        }
        InputCheck check = new InputCheck(batch.id(), endpoint, parts.repository(), translator(),
                parts.settings().maxLineBytes(), parts.settings().maxLines());
        LineSplitter splitter = new LineSplitter(true, check::line);
        try (ChunkReader reader = parts.files().read(input)) {
            for (byte[] chunk; (chunk = reader.next()) != null; ) {
                checkStop();
                splitter.feed(chunk, 0, chunk.length);
            }
        }
        splitter.finish();
        List<BatchRecord.Problem> problems = check.problems();
        if (!problems.isEmpty()) {
            LOG.info("Batch {} failed validation: {} problem(s), the first: {}", batch.id(), problems.size(),
                    problems.get(0).message());
            save(batch.failed(seconds(), problems));
            return false;
        }
        batch = save(batch.inProgress(seconds(), check.lines()));
        progress = Progress.start(check.lines());
        parts.log().progress(batch.id(), progress).join();
        LOG.info("Batch {} validated: {} lines to {}", batch.id(), check.lines(), batch.endpoint());
        return true;
    }

    private LineTranslator translator() {
        if (translator == null) {
            translator = new LineTranslator(BatchEndpoint.parse(batch.endpoint()), parts.repository(),
                    parts.checks());
        }
        return translator;
    }

    // ------------------------------------------------------------------------------------------------ feeding

    private void feed() {
        if (progress == null) {
            progress = Progress.start(batch.total());
        }
        outputs = new OutputFiles(parts.files(), Ids.outputFile(batch.id()), Ids.errorFile(batch.id()));
        resumeNext = progress.next();
        lastCheckpoint = System.currentTimeMillis();
        if (progress.low() > 0 || resumeNext > 0) {
            LOG.info("Batch {} resumed: {} of {} lines done, lines from {} on never sent", batch.id(),
                    progress.completed() + progress.failed(), progress.total(), resumeNext);
        }
        // One pass normally; another only for lines that a pass left neither done nor in flight.
        while (!progress.allDone()) {
            if (input == null) {
                throw new IllegalStateException("the input file " + batch.inputFileId() + " of batch " + batch.id()
                        + " was deleted while it ran");
            }
            long doneBefore = progress.completed() + progress.failed();
            LineSplitter splitter = new LineSplitter(true, this::line);
            try (ChunkReader reader = parts.files().read(input)) {
                for (byte[] chunk; (chunk = reader.next()) != null; ) {
                    splitter.feed(chunk, 0, chunk.length);
                }
            }
            splitter.finish();
            awaitInFlight();
            checkpoint();
            if (!progress.allDone() && progress.completed() + progress.failed() == doneBefore) {
                throw new IllegalStateException("batch " + batch.id() + ": a pass over the input answered no line; "
                        + "the input has fewer lines than the batch counted (" + progress.total() + ")");
            }
        }
    }

    private void line(long index, long lineNumber, byte[] bytes, int length) {
        checkStop();
        tick();
        if (progress.isDone(index) || inFlight.containsKey(index)) {
            return;
        }
        InputLine.Read read = InputLine.read(index, lineNumber, bytes, length);
        if (read instanceof InputLine.Bad bad) { // validated before: only a changed file gets here
            outputs.add(index, false, errorLine(Ids.outputLine(batch.id(), index), "line-" + lineNumber,
                    bad.problem().code(), bad.problem().message()));
            return;
        }
        InputLine line = ((InputLine.Ok) read).line();
        if (givenUp(line)) {
            return;
        }
        LinePlan plan = translator().plan(line);
        if (plan instanceof LinePlan.Refused refused) {
            outputs.add(index, refused.answer().succeeded(), outputLine(line, requestIds(line, 1).get(0),
                    refused.answer()));
            return;
        }
        LinePlan.Send send = (LinePlan.Send) plan;
        int n = send.requests().size();
        try {
            while (!parts.window().acquire(n, TICK_MS)) {
                checkStop();
                tick();
                if (givenUp(line)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Stopped();
        }
        send(line, send);
    }

    /** True when the line was never sent and the batch was cancelled or expired: its error line is written. */
    private boolean givenUp(InputLine line) {
        if (line.index() < resumeNext) {
            return false; // sent by an earlier run: it may have run; sending it again gets its answer
        }
        Progress.Stop why = stopReason();
        if (why == null) {
            return false;
        }
        progress.stopped(why);
        outputs.add(line.index(), false, errorLine(Ids.outputLine(batch.id(), line.index()), line.customId(),
                why == Progress.Stop.CANCELLED ? "batch_cancelled" : "batch_expired",
                why == Progress.Stop.CANCELLED ? "the batch was cancelled before this request was sent"
                        : "the batch's completion window ended before this request was sent"));
        return true;
    }

    private Progress.Stop stopReason() {
        if (cancelAtMs != null) {
            return Progress.Stop.CANCELLED;
        }
        return System.currentTimeMillis() >= batch.expiresAt() * 1000 ? Progress.Stop.EXPIRED : null;
    }

    private List<String> requestIds(InputLine line, int n) {
        List<String> ids = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            ids.add(Ids.request(batch.id(), line.customId(), k, n));
        }
        return ids;
    }

    private void send(InputLine line, LinePlan.Send plan) {
        List<String> ids = requestIds(line, plan.requests().size());
        List<CompletableFuture<Reply>> replies = new ArrayList<>(ids.size());
        for (String id : ids) {
            replies.add(parts.router().register(id)); // before publishing: a fast answer finds its waiter
        }
        Sent sent = new Sent(line, ids, plan, parts.router().nextPartition(), replies);
        inFlight.put(line.index(), sent);
        highestSent = Math.max(highestSent, line.index());
        publish(sent);
        CompletableFuture.allOf(replies.toArray(new CompletableFuture[0]))
                .whenCompleteAsync((v, error) -> answered(sent, error), parts.answers());
    }

    private void publish(Sent sent) {
        sent.sentNanos = System.nanoTime();
        sent.sentMs = System.currentTimeMillis();
        sent.publishFailedMs = 0;
        long deadline = batch.expiresAt() * 1000;
        for (int k = 0; k < sent.ids.size(); k++) {
            CheckedRequest r = sent.plan.requests().get(k);
            RequestPublisher.Routing routing = r.routing().replyTo(parts.router().replicaId(), sent.replyPartition)
                    .deadline(deadline).batchLine();
            parts.publisher().publish(sent.ids.get(k), r.body(), routing).whenComplete((ok, error) -> {
                if (error != null) {
                    LOG.warn("Could not send line {} of batch {} ({}); trying again", sent.line.lineNumber(),
                            batch.id(), error.toString());
                    sent.publishFailedMs = System.currentTimeMillis();
                }
            });
        }
    }

    private void answered(Sent sent, Throwable error) {
        if (error != null || inFlight.get(sent.line.index()) != sent) {
            return; // the router closed, or the run gave the line up
        }
        List<Reply> replies = sent.replies.stream().map(CompletableFuture::join).toList();
        byte[] json;
        boolean succeeded;
        if (replies.stream().anyMatch(r -> r.errorCode() == ErrorCode.DEADLINE_EXCEEDED)) {
            expiredSeen = true;
            json = errorLine(Ids.outputLine(batch.id(), sent.line.index()), sent.line.customId(), "batch_expired",
                    "the batch's completion window ended before this request ran");
            succeeded = false;
        } else {
            LineAnswer answer;
            try {
                answer = sent.plan.answer().of(sent.ids.get(0), replies);
            } catch (RuntimeException e) {
                LOG.warn("Could not answer line {} of batch {}", sent.line.lineNumber(), batch.id(), e);
                answer = new LineAnswer(500, OpenAiError.body(500, "could not read the result: " + e, null,
                        null));
            }
            json = outputLine(sent.line, sent.ids.get(0), answer);
            succeeded = answer.succeeded();
        }
        if (inFlight.remove(sent.line.index(), sent)) {
            outputs.add(sent.line.index(), succeeded, json);
            parts.window().release(sent.ids.size(), System.nanoTime() - sent.sentNanos);
            synchronized (answered) {
                answered.notifyAll();
            }
        }
    }

    /** Waits for the lines in flight; a cancel or the window's end gives up those that take longer than allowed. */
    private void awaitInFlight() {
        while (!inFlight.isEmpty()) {
            checkStop();
            tick();
            long now = System.currentTimeMillis();
            Long cancel = cancelAtMs;
            if (cancel != null && now >= cancel + parts.settings().cancelGraceMs()) {
                giveUpInFlight(Progress.Stop.CANCELLED, "batch_cancelled", "the batch was cancelled and this "
                        + "request had no answer within " + parts.settings().cancelGraceMs() + " ms");
            } else if (now >= batch.expiresAt() * 1000 + parts.settings().expiryGraceMs()) {
                giveUpInFlight(Progress.Stop.EXPIRED, "batch_expired", "the batch's completion window ended "
                        + "before this request was answered");
            }
            synchronized (answered) {
                if (!inFlight.isEmpty() && !stopped) {
                    try {
                        answered.wait(TICK_MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new Stopped();
                    }
                }
            }
        }
    }

    private void giveUpInFlight(Progress.Stop why, String code, String message) {
        progress.stopped(why);
        for (Sent s : List.copyOf(inFlight.values())) {
            if (inFlight.remove(s.line.index(), s)) {
                s.ids.forEach(parts.router()::forget);
                parts.window().forget(s.ids.size());
                outputs.add(s.line.index(), false, errorLine(Ids.outputLine(batch.id(), s.line.index()),
                        s.line.customId(), code, message));
            }
        }
    }

    /** Checkpoints when due, sends again what needs it. */
    private void tick() {
        long now = System.currentTimeMillis();
        if (outputs.buffered() >= parts.files().chunkBytes()
                || now - lastCheckpoint >= parts.settings().checkpointIntervalMs()) {
            checkpoint();
        }
        if (now - lastResendSweep >= 1_000) {
            lastResendSweep = now;
            for (Sent s : inFlight.values()) {
                boolean failed = s.publishFailedMs > 0 && now - s.publishFailedMs >= PUBLISH_RETRY_MS;
                if (failed || now - s.sentMs >= parts.settings().resendAfterMs()) {
                    if (!failed) {
                        LOG.info("Line {} of batch {} has no answer after {} ms: sending it again",
                                s.line.lineNumber(), batch.id(), now - s.sentMs);
                    }
                    publish(s);
                }
            }
        }
    }

    /** The output so far on the brokers, then the progress that names it. */
    private void checkpoint() {
        if (expiredSeen) {
            progress.stopped(Progress.Stop.EXPIRED);
        }
        outputs.flush(progress);
        progress.sentUpTo(highestSent + 1);
        parts.log().progress(batch.id(), progress).join();
        lastCheckpoint = System.currentTimeMillis();
    }

    // ------------------------------------------------------------------------------------------------ the end

    private void finish() {
        Progress.Stop stop = progress.stop();
        if (cancelAtMs != null) {
            stop = Progress.Stop.CANCELLED;
        }
        if (batch.status() != BatchStatus.FINALIZING) {
            batch = save(batch.finalizing(seconds(), cancelAtMs == null ? null : cancelAtMs / 1000));
        }
        String outputId = saveFile(Ids.outputFile(batch.id()), "_output.jsonl", progress.output(),
                outputs.outputPartition());
        String errorId = saveFile(Ids.errorFile(batch.id()), "_error.jsonl", progress.errors(),
                outputs.errorPartition());
        BatchStatus end = stop == Progress.Stop.CANCELLED ? BatchStatus.CANCELLED
                : stop == Progress.Stop.EXPIRED ? BatchStatus.EXPIRED : BatchStatus.COMPLETED;
        batch = save(batch.ended(end, seconds(), outputId, errorId, progress.completed(), progress.failed()));
        LOG.info("Batch {} {}: {} completed, {} failed of {}", batch.id(), end.wire(), progress.completed(),
                progress.failed(), progress.total());
    }

    private String saveFile(String id, String suffix, Progress.Output out, int partition) {
        if (out.lines() == 0) {
            return null;
        }
        parts.files().save(new FileRecord(id, out.bytes(), seconds(), batch.id() + suffix,
                FileRecord.PURPOSE_OUTPUT, out.lines(), partition, out.chunks())).join();
        return id;
    }

    private BatchRecord save(BatchRecord b) {
        return parts.log().save(b).join();
    }

    // ------------------------------------------------------------------------------------------------ lines

    /** OpenAI's output line: {@code {"id", "custom_id", "response": {"status_code", "request_id", "body"},
     * "error"}}. */
    private byte[] outputLine(InputLine line, String requestId, LineAnswer answer) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("id", Ids.outputLine(batch.id(), line.index()));
        o.put("custom_id", line.customId());
        ObjectNode response = o.putObject("response");
        response.put("status_code", answer.status());
        response.put("request_id", requestId);
        response.set("body", answer.body());
        o.putNull("error");
        return bytes(o);
    }

    /** A line given up: no response, an error with OpenAI's code. */
    static byte[] errorLine(String id, String customId, String code, String message) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("custom_id", customId);
        o.putNull("response");
        ObjectNode e = o.putObject("error");
        e.put("code", code);
        e.put("message", message);
        return bytes(o);
    }

    private static byte[] bytes(ObjectNode o) {
        try {
            return OipJson.MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long seconds() {
        return System.currentTimeMillis() / 1000;
    }
}
