package io.streaminfer.flink.inference;

import io.streaminfer.batching.ByteBudget;
import io.streaminfer.batching.Submitted;
import io.streaminfer.batching.Work;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.flink.inference.SubtaskModels.ServedModel;
import io.streaminfer.flink.inference.internal.InFlightCalls;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import java.util.concurrent.CancellationException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an async operator calls a model: the one path of the one-step inference and of every graph step.
 *
 * <p>Per call: a batcher that cannot serve fails the task (it restarts from the last checkpoint with fresh replicas,
 * and the request runs again); the bytes the request holds are taken from the subtask's budget and its work waits
 * for room in the model's queue, on the task thread, as Flink's async operator itself waits when its capacity is
 * reached (so backpressure reaches the Kafka source, and a backlog stays in Kafka instead of turning into queue
 * time); then it is submitted with its priority and deadline, and ends once: with its prediction and the timing of
 * its last try, or given up on.
 *
 * <p>One timeout and retry policy, kept here for every step rather than by Flink's async operator, whose timer and
 * retry handler per element cost more than the rest of a step: a transient fault of ours (INTERNAL, OVERLOADED, an
 * error in the batcher) is submitted again after {@code retryDelayMs}, up to {@code retries} times (counter {@code
 * retries}); a call without an answer {@code timeoutMs} after it was submitted (the job's safety net, or a graph
 * step's own {@code timeout_ms}) is given up on by one sweep thread ({@link InFlightCalls}): its request leaves the
 * queue if it is still there, and its bytes are released. Use with {@code AsyncDataStream.unorderedWait} and a
 * timeout of 0.
 *
 * <pre>{@code
 * ModelCalls calls = new ModelCalls("inference-0", models.bytes(), 600_000, 2, 100, "", metricGroup);
 * calls.submit(served, id, prepared, heldBytes, priority, deadlineMs, new ModelCalls.Answer() {
 *     public void answered(Prediction p, Throwable error, Submitted timing) { ... }
 *     public void timedOut() { ... }
 * });
 * ...
 * calls.close();
 * }</pre>
 */
@Internal
public final class ModelCalls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCalls.class);

    /** How a call ends: exactly one of these, once, on a thread of the batcher or of the sweep. */
    public interface Answer {
        /** Its prediction (failures included), or the batcher's error; with the timing of its last try. */
        void answered(Prediction prediction, Throwable error, Submitted timing);

        /** Given up on past the timeout: no answer will come. */
        void timedOut();
    }

    private final ByteBudget bytes;
    private final int retries;
    private final long retryDelayMs;
    private final String subject;
    private final InFlightCalls<Call> calls;
    private final Counter retried;

    /**
     * @param name names the sweep thread
     * @param subject what calls are for, in messages (e.g. a graph step); "" for the model alone
     */
    public ModelCalls(String name, ByteBudget bytes, long timeoutMs, int retries, long retryDelayMs, String subject,
            MetricGroup group) {
        this.bytes = bytes;
        this.retries = retries;
        this.retryDelayMs = retryDelayMs;
        this.subject = subject;
        this.calls = new InFlightCalls<>(name, timeoutMs, this::timedOut);
        this.retried = group.counter("retries");
        group.gauge("requestsInFlight", calls::size);
    }

    /**
     * Submits a request to {@code model}'s batcher, after waiting for room in its queue; {@code answer} is told how
     * it ends.
     *
     * @param heldBytes what the request holds while in flight (its payload, prepared inputs, result)
     * @throws IllegalStateException when the model cannot serve: failing the task restarts it with fresh replicas
     */
    public void submit(ServedModel model, String id, PreparedRequest prepared, long heldBytes, int priority,
            long deadlineMs, Answer answer) throws InterruptedException {
        String broken = model.batcher().failure();
        if (broken != null) {
            throw new IllegalStateException("model " + model.version().key() + subject + " cannot serve: " + broken);
        }
        Work work = Work.of(prepared.rows(), prepared.maxRowCost(), prepared.realCost());
        bytes.acquire(heldBytes);
        try {
            model.batcher().awaitRoom(work);
        } catch (InterruptedException e) {
            bytes.release(heldBytes);
            throw e;
        }
        Call c = new Call(model, id, prepared, work, heldBytes, priority, deadlineMs, answer);
        calls.add(c);
        send(c);
    }

    /** Calls submitted and not ended. */
    public int inFlight() {
        return calls.size();
    }

    private void send(Call c) {
        Submitted f = c.model.batcher().submit(c.id, c.prepared, c.work, c.priority, c.deadlineMs);
        c.submitted = f;
        f.whenComplete((p, error) -> completed(c, f, p, error));
    }

    private void completed(Call c, Submitted f, Prediction p, Throwable error) {
        if (error instanceof CancellationException || c.isFinished()) {
            return; // given up on: the sweep has answered
        }
        if (isTransient(p, error) && c.attempts < retries) {
            c.attempts++;
            retried.inc();
            LOG.info("Request {} ended {} ({}); trying it again in {} ms ({} of {})", c.id,
                    error != null ? ErrorCode.INTERNAL : p.errorCode(), error != null ? error : p.error(),
                    retryDelayMs, c.attempts, retries);
            if (calls.later(retryDelayMs, () -> resend(c))) {
                return;
            }
            // closing: answer what we have; the restored job re-runs only requests without an answer
        }
        if (calls.finish(c)) {
            bytes.release(c.held);
            c.answer.answered(p, error, f);
        }
    }

    /** A fault of ours, worth another try: not the request's nor the model's. */
    private static boolean isTransient(Prediction p, Throwable error) {
        return error != null || (!p.isSuccess()
                && (p.errorCode() == ErrorCode.INTERNAL || p.errorCode() == ErrorCode.OVERLOADED));
    }

    private void resend(Call c) {
        if (c.isFinished()) {
            return;
        }
        try {
            send(c);
        } catch (RuntimeException e) { // the batcher was closed meanwhile: the subtask is going away
            if (calls.finish(c)) {
                bytes.release(c.held);
                c.answer.answered(null, e, c.submitted);
            }
        }
    }

    /** On the sweep's thread, once the call is finished as given up on. */
    private void timedOut(Call c) {
        Submitted f = c.submitted;
        if (f != null) {
            f.cancel(false); // a queued request leaves the queue: no model time for a request given up on
        }
        bytes.release(c.held);
        c.answer.timedOut();
    }

    /** A request on its way through the batcher: answered once, by its result or by the sweep. */
    private static final class Call extends InFlightCalls.Call {
        final ServedModel model;
        final String id;
        final PreparedRequest prepared;
        final Work work;
        final long held;
        final int priority;
        final long deadlineMs;
        final Answer answer;
        volatile Submitted submitted;
        int attempts; // written by the thread that saw the last try end, read by the next: ordered by the future

        Call(ServedModel model, String id, PreparedRequest prepared, Work work, long held, int priority,
                long deadlineMs, Answer answer) {
            this.model = model;
            this.id = id;
            this.prepared = prepared;
            this.work = work;
            this.held = held;
            this.priority = priority;
            this.deadlineMs = deadlineMs;
            this.answer = answer;
        }
    }

    @Override
    public void close() {
        calls.close();
    }
}
