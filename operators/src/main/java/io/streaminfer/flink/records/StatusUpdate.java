package io.streaminfer.flink.records;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.flink.records.internal.StatusUpdateSerializer;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A status change on its way to the status topic (becomes a {@link StatusRecord}), or one read back from it after a
 * restore.
 */
@TypeInfo(StatusUpdateSerializer.Factory.class)
public class StatusUpdate {
    public String id;
    public String model;
    public String modelVersion;
    public RequestState state;
    public ErrorCode errorCode;
    public String reason;
    public long acceptedAt;
    public long updatedAt;
    /** Graph requests only: the step it is at (RUNNING) or failed in (FAILED). */
    public String step;

    /**
     * The W3C trace context to continue ({@code io.streaminfer.contract.TraceContext}, validated where it came in),
     * written into the headers of the request's records; null when the request brought none.
     */
    public String traceparent;
    public String tracestate;

    public StatusUpdate() {}

    public static StatusUpdate of(Outcome o) {
        StatusUpdate s = new StatusUpdate();
        s.id = o.id;
        s.model = o.model;
        s.modelVersion = o.modelVersion;
        s.state = o.state;
        s.errorCode = o.errorCode;
        s.reason = o.reason;
        s.acceptedAt = o.acceptedAt;
        s.updatedAt = o.finishedAt;
        s.step = o.step;
        s.traceparent = o.traceparent;
        s.tracestate = o.tracestate;
        return s;
    }

    public static StatusUpdate of(StatusRecord r) {
        StatusUpdate s = new StatusUpdate();
        s.id = r.id();
        s.model = r.model();
        s.modelVersion = r.modelVersion();
        s.state = r.state();
        s.errorCode = r.errorCode();
        s.reason = r.reason();
        s.acceptedAt = r.acceptedAt();
        s.updatedAt = r.updatedAt();
        s.step = r.step();
        return s;
    }

    /** A field-by-field copy, kept beside the fields so a new one is not forgotten. */
    public StatusUpdate copy() {
        StatusUpdate s = new StatusUpdate();
        s.id = id;
        s.model = model;
        s.modelVersion = modelVersion;
        s.state = state;
        s.errorCode = errorCode;
        s.reason = reason;
        s.acceptedAt = acceptedAt;
        s.updatedAt = updatedAt;
        s.step = step;
        s.traceparent = traceparent;
        s.tracestate = tracestate;
        return s;
    }

    public StatusRecord toRecord() {
        return new StatusRecord(StatusRecord.VERSION, id, model, modelVersion, state, errorCode, reason, acceptedAt,
                updatedAt, step);
    }
}
