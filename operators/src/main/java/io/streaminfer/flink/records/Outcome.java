package io.streaminfer.flink.records;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.internal.OutcomeSerializer;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * The end of a request: its final state and the result-topic value (an OIP response, or an OIP error). Also carries
 * a "replay" (a duplicate request ID whose stored result should be published again) and the ACCEPTED progress
 * event (state ACCEPTED, no result), which takes the same keyed path so statuses reach the topic in order.
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
    /** True for a duplicate ID: publish the stored result again, run nothing, change no status. */
    public boolean replay;
    /** How long it waited in the batcher's queue, and how long its model calls took, in µs; -1 when unknown. */
    public long queueMicros = -1;
    public long modelMicros = -1;
    /** Graph requests only: the step a RUNNING progress is at, or the step a FAILED outcome failed in. */
    public String step;

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
        return o;
    }

    /** A progress event (ACCEPTED, or RUNNING at a graph step): a status to publish, not an end. */
    public boolean isProgress() {
        return state != null && !state.isFinal() && !replay;
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
        return "Outcome{" + id + " " + (replay ? "replay" : state) + (reason == null ? "" : " " + reason) + "}";
    }
}
