package io.streaminfer.flink.records;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.TraceContext;
import java.util.List;
import org.apache.flink.annotation.Internal;

/** Builds {@link Outcome}s of each {@link Outcome.Kind kind}, so every path writes results the same way. */
@Internal
public final class Outcomes {
    private Outcomes() {}

    /** JSON results longer than this are kept in state in the binary framing (a float: 4 bytes, not ~11). */
    static final int COMPACT_STATE_ABOVE = 512;

    public static Outcome success(RequestEnvelope r, InferenceResponse response, long now) {
        Outcome o = base(r, now);
        o.state = RequestState.SUCCEEDED;
        if (r.binaryOutputs == null || r.binaryOutputs.length == 0) {
            o.result = OipJson.writeResponse(response);
            if (o.result.length > COMPACT_STATE_ABOVE) {
                List<String> all = new java.util.ArrayList<>(response.outputs().size());
                response.outputs().forEach(t -> all.add(t.name()));
                OipBinary.Framed compact = OipBinary.writeResponse(response, all);
                o.stored = compact.body();
                o.storedHeaderLength = compact.headerLength();
            }
        } else {
            OipBinary.Framed framed = OipBinary.writeResponse(response, List.of(r.binaryOutputs));
            o.result = framed.body();
            o.resultHeaderLength = framed.isBinary() ? framed.headerLength() : -1;
        }
        return o;
    }

    /**
     * A request stopped on request (a cancel) with its result so far, a generation's text: final state CANCELLED,
     * the partial result published like a success's.
     */
    public static Outcome cancelled(RequestEnvelope r, InferenceResponse partial, long now) {
        Outcome o = success(r, partial, now);
        o.state = RequestState.CANCELLED;
        return o;
    }

    /** A failure; DEADLINE_EXCEEDED ends in EXPIRED, every other code in FAILED. */
    public static Outcome failure(RequestEnvelope r, ErrorCode code, String reason, long now) {
        Outcome o = base(r, now);
        o.state = code == ErrorCode.DEADLINE_EXCEEDED ? RequestState.EXPIRED : RequestState.FAILED;
        o.errorCode = code;
        o.reason = reason;
        o.result = OipJson.writeError(r.responseId, code, reason);
        return o;
    }

    public static Outcome rejected(Rejection r) {
        Outcome o = new Outcome();
        o.id = r.id;
        o.responseId = r.responseId;
        o.model = r.model;
        o.state = RequestState.FAILED;
        o.errorCode = r.errorCode;
        o.reason = r.reason;
        o.result = OipJson.writeError(r.responseId, r.errorCode, r.reason);
        o.producedAt = r.record == null ? r.rejectedAt : r.record.timestamp;
        o.acceptedAt = r.rejectedAt;
        o.finishedAt = r.rejectedAt;
        o.replyTo = r.replyTo;
        o.replyPartition = r.replyPartition;
        o.callbackUrl = r.callbackUrl;
        TraceContext trace = r.record == null ? null : TraceContext.parse(
                r.record.header(KafkaContract.HEADER_TRACEPARENT), r.record.header(KafkaContract.HEADER_TRACESTATE));
        if (trace != null) {
            o.traceparent = trace.traceparent();
            o.tracestate = trace.tracestate();
        }
        return o;
    }

    /**
     * Progress, not an end: the request was accepted. It travels the same keyed path as the final outcome so that
     * the status topic receives a request's records in order (a compacted topic keeps the last one).
     */
    public static Outcome accepted(RequestEnvelope r, long now) {
        return progress(r, RequestState.ACCEPTED, null, now);
    }

    /** Progress of a graph request: ACCEPTED, or RUNNING at {@code step}. */
    public static Outcome progress(RequestEnvelope r, RequestState state, String step, long now) {
        if (state.isFinal()) {
            throw new IllegalArgumentException("progress is not final: " + state);
        }
        Outcome o = base(r, now);
        o.state = state;
        o.step = step;
        return o;
    }

    /** A duplicate ID: ask for the stored result to be published again. */
    public static Outcome replay(RequestEnvelope r, long now) {
        Outcome o = base(r, now);
        o.replay = true;
        o.callbackUrl = null; // the original's callback is the one that fires
        return o;
    }

    /**
     * A rejected record whose ID is already known: like any duplicate, a replay, answered by the stored outcome.
     */
    public static Outcome replayOf(Outcome rejection, long now) {
        Outcome o = rejection.copy();
        o.state = null;
        o.errorCode = null;
        o.reason = null;
        o.result = null;
        o.finishedAt = now;
        o.callbackUrl = null;
        o.replay = true;
        return o;
    }

    /**
     * {@code result} (a final outcome, in its published form) again for a duplicate's {@code caller}: routed to the
     * caller, without the callback (callbacks fire once, for the original).
     */
    public static Outcome replayAnswer(Outcome result, Outcome caller) {
        Outcome o = result.copy();
        o.replay = true;
        o.replyTo = caller.replyTo;
        o.replyPartition = caller.replyPartition;
        o.callbackUrl = null;
        o.traceparent = caller.traceparent; // the duplicate's own trace, not the original's
        o.tracestate = caller.tracestate;
        return o;
    }

    private static Outcome base(RequestEnvelope r, long now) {
        Outcome o = new Outcome();
        o.id = r.id;
        o.responseId = r.responseId;
        o.model = r.model;
        o.modelVersion = r.modelVersion;
        o.producedAt = r.producedAt;
        o.acceptedAt = r.acceptedAt;
        o.finishedAt = now;
        o.replyTo = r.replyTo;
        o.replyPartition = r.replyPartition;
        o.callbackUrl = r.callbackUrl;
        o.traceparent = r.traceparent;
        o.tracestate = r.tracestate;
        return o;
    }
}
