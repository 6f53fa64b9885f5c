package io.streaminfer.flink.records;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import org.apache.flink.annotation.Internal;

/**
 * A graph request on its way through the graph's steps: the request's routing and timing, the graph's tensors so
 * far (its inputs, then every step's outputs as {@code step.output}, in the compact form of {@code
 * io.streaminfer.runtime.TensorsCodec}: raw tensor bytes, never JSON), and what each step did. It lives in the
 * async operators' checkpointed buffers and in the joins' keyed state, so a request in step 2 at a checkpoint
 * resumes at step 2. A Flink POJO (public fields, no-arg constructor): serialized without Kryo.
 *
 * <p>A record with {@link #progress} set carries no tensors: it is the request's progress (ACCEPTED, or RUNNING at
 * {@link #progressStep}), travelling the graph's path so that it reaches the outcome recorder ahead of the request's
 * final outcome.
 */
@Internal
public class GraphRecord {
    /** What a step did, in {@link #steps}. */
    public static final byte NOT_REACHED = 0;
    public static final byte RAN = 1;
    public static final byte SKIPPED = 2;
    public static final byte FAILED = 3;

    public String id;
    public String responseId;
    public String graph;
    public String graphVersion;
    public int priority;
    public long deadlineMs = Long.MAX_VALUE;
    public long producedAt;
    public long acceptedAt;
    public String replyTo;
    public int replyPartition = -1;
    public String callbackUrl;
    public String[] binaryOutputs;
    /** The graph outputs the request asked for; null or empty: all. */
    public String[] requestedOutputs;
    /** The graph's tensors so far ({@code TensorsCodec}): graph inputs by name, step outputs as step.output. */
    public byte[] tensors;
    /** Per step of the graph's plan, in its order: {@link #NOT_REACHED}, {@link #RAN}, {@link #SKIPPED}, {@link #FAILED}. */
    public byte[] steps;
    /** Per step: µs waited in its model's queue and spent in its model calls; -1 when it did not run. */
    public long[] queueMicros;
    public long[] modelMicros;
    /** Set when a step failed or the request expired: the end of the request. */
    public ErrorCode errorCode;
    public String reason;
    public String failedStep;
    /** Set by the gate of the step it reaches next: the step's inputs are there and its condition holds. */
    public boolean run;
    /** Non-null on a progress record: ACCEPTED, or RUNNING at {@link #progressStep}. */
    public RequestState progress;
    public String progressStep;
    /** The plan node that passed a progress record on last (only that node's first consumer passes it on). */
    public int via;

    /** The request's W3C trace context (see {@link RequestEnvelope#traceparent}); null when none. */
    public String traceparent;
    public String tracestate;

    public GraphRecord() {}

    public boolean isProgress() {
        return progress != null;
    }

    public boolean failed() {
        return errorCode != null;
    }

    /** Worth another try of the step: a fault of ours, not of the request or the model (as for outcomes). */
    public boolean failedTransiently() {
        return errorCode == ErrorCode.INTERNAL || errorCode == ErrorCode.OVERLOADED;
    }

    /** A copy whose arrays may be changed without touching this one's (async retries re-use their input). */
    public GraphRecord copy() {
        GraphRecord r = routing();
        r.priority = priority;
        r.deadlineMs = deadlineMs;
        r.binaryOutputs = binaryOutputs;
        r.requestedOutputs = requestedOutputs;
        r.tensors = tensors;
        r.steps = steps == null ? null : steps.clone();
        r.queueMicros = queueMicros == null ? null : queueMicros.clone();
        r.modelMicros = modelMicros == null ? null : modelMicros.clone();
        r.errorCode = errorCode;
        r.reason = reason;
        r.failedStep = failedStep;
        r.run = run;
        r.progress = progress;
        r.progressStep = progressStep;
        r.via = via;
        return r;
    }

    /** A progress record of this request: no tensors, only what its status record needs. */
    public GraphRecord progress(RequestState state, String step, int via) {
        GraphRecord p = routing();
        p.progress = state;
        p.progressStep = step;
        p.via = via;
        return p;
    }

    /** A record with this one's identity and routing only. */
    private GraphRecord routing() {
        GraphRecord r = new GraphRecord();
        r.id = id;
        r.responseId = responseId;
        r.graph = graph;
        r.graphVersion = graphVersion;
        r.producedAt = producedAt;
        r.acceptedAt = acceptedAt;
        r.replyTo = replyTo;
        r.replyPartition = replyPartition;
        r.callbackUrl = callbackUrl;
        r.traceparent = traceparent;
        r.tracestate = tracestate;
        return r;
    }

    /** The request's routing as an envelope, so outcomes are written as every other path writes them. */
    public RequestEnvelope envelope() {
        RequestEnvelope e = new RequestEnvelope();
        e.id = id;
        e.responseId = responseId;
        e.model = graph;
        e.modelVersion = graphVersion;
        e.priority = priority;
        e.deadlineMs = deadlineMs;
        e.producedAt = producedAt;
        e.acceptedAt = acceptedAt;
        e.replyTo = replyTo;
        e.replyPartition = replyPartition;
        e.callbackUrl = callbackUrl;
        e.binaryOutputs = binaryOutputs;
        e.traceparent = traceparent;
        e.tracestate = tracestate;
        return e;
    }

    @Override
    public String toString() {
        return "GraphRecord{" + id + " " + graph + ":" + graphVersion
                + (progress != null ? " " + progress + (progressStep == null ? "" : " at " + progressStep) : "")
                + (errorCode != null ? " " + errorCode + " " + reason : "") + "}";
    }
}
