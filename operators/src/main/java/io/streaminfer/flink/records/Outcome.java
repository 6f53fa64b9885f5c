package io.streaminfer.flink.records;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.internal.OutcomeSerializer;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * What is decided about a request, on its way to the outcome recorder and out of it: one of four {@link Kind kinds},
 * each made by its factory in {@link Outcomes} and told apart by {@link #kind()} alone. All kinds take the same keyed
 * path, so that the statuses of a request reach the topic in order.
 *
 * <p>The fields are the record's serialized layout ({@code OutcomeSerializer}, kept in state and in the async
 * operators' buffers): {@link #replay} and {@link #state} are how a kind is written, {@link #stored}, {@link
 * #storedHeaderLength} and {@link #jsonFromState} belong to the form the recorder keeps ({@code
 * io.streaminfer.flink.status.KeptOutcome}). Read the kind, not the flags.
 */
@TypeInfo(OutcomeSerializer.Factory.class)
public class Outcome {
    public String id;
    /** The {@code id} the result echoes (the body's, else the request ID). */
    public String responseId;
    public String model;
    public String modelVersion;
    public RequestState state;
    public ErrorCode errorCode;
    public String reason;
    /** The result-topic value. */
    public byte[] result;
    /** The length of {@link #result}'s JSON header when it is binary-framed ({@code OipBinary}); -1: plain JSON. */
    public int resultHeaderLength = -1;
    /**
     * A success's result in the binary framing, for state only, when its published result is long JSON (see
     * {@link Outcomes#forState}); null otherwise.
     */
    public byte[] stored;
    public int storedHeaderLength = -1;
    /** In state: {@link #result} is the binary form of a JSON result, to be written as JSON again on a replay. */
    public boolean jsonFromState;
    public long producedAt;
    public long acceptedAt;
    public long finishedAt;
    public String replyTo;
    /** The results-topic partition the bridge reads its replies from; -1: partition by key. */
    public int replyPartition = -1;
    /** Where the bridge POSTs the final result; copied onto the result record. Never set on replays. */
    public String callbackUrl;
    /** How {@link Kind#REPLAY} and {@link Kind#REPLAY_ANSWER} are written: read {@link #kind()}. */
    public boolean replay;
    /** How long it waited in the batcher's queue, and how long its model calls took, in µs; -1 when unknown. */
    public long queueMicros = -1;
    public long modelMicros = -1;
    /** Graph requests only: the step a RUNNING progress is at, or the step a FAILED outcome failed in. */
    public String step;

    /**
     * The W3C trace context to continue ({@code io.streaminfer.contract.TraceContext}, validated where it came in),
     * written into the headers of the request's records; null when the request brought none.
     */
    public String traceparent;
    public String tracestate;

    public Outcome() {}

    /** A field-by-field copy, kept beside the fields so a new one is not forgotten. */
    public Outcome copy() {
        Outcome o = new Outcome();
        o.id = id;
        o.responseId = responseId;
        o.model = model;
        o.modelVersion = modelVersion;
        o.state = state;
        o.errorCode = errorCode;
        o.reason = reason;
        o.result = result;
        o.resultHeaderLength = resultHeaderLength;
        o.stored = stored;
        o.storedHeaderLength = storedHeaderLength;
        o.jsonFromState = jsonFromState;
        o.producedAt = producedAt;
        o.acceptedAt = acceptedAt;
        o.finishedAt = finishedAt;
        o.replyTo = replyTo;
        o.replyPartition = replyPartition;
        o.callbackUrl = callbackUrl;
        o.replay = replay;
        o.queueMicros = queueMicros;
        o.modelMicros = modelMicros;
        o.step = step;
        o.traceparent = traceparent;
        o.tracestate = tracestate;
        return o;
    }

    /** What an outcome stands for. */
    public enum Kind {
        /** A request's end: its final state and result; recorded once, published as its result and final status. */
        FINAL,
        /** A status on the way (ACCEPTED, or RUNNING at a graph step): published as a status, not an end. */
        PROGRESS,
        /** A duplicate ID: its caller wants the stored result again; nothing runs, no status changes. */
        REPLAY,
        /** A stored result published again, routed to a duplicate's caller: what the recorder emits for a replay. */
        REPLAY_ANSWER
    }

    public Kind kind() {
        if (replay) {
            return state == null ? Kind.REPLAY : Kind.REPLAY_ANSWER;
        }
        return state != null && state.isFinal() ? Kind.FINAL : Kind.PROGRESS;
    }

    public boolean isSuccess() {
        return state == RequestState.SUCCEEDED;
    }

    /** Worth another try: a fault of ours, not of the request or the model. */
    public boolean isTransient() {
        return errorCode == ErrorCode.INTERNAL || errorCode == ErrorCode.OVERLOADED;
    }

    @Override
    public String toString() {
        return "Outcome{" + id + " " + kind() + (state == null ? "" : " " + state) + (reason == null ? "" : " "
                + reason) + "}";
    }
}
