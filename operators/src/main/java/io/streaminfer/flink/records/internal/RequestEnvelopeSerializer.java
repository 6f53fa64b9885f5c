package io.streaminfer.flink.records.internal;

import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.RequestEnvelope;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** {@link RequestEnvelope}, field by field; a new field must be added here (the round-trip test fails until it is). */
public final class RequestEnvelopeSerializer extends RecordSerializer<RequestEnvelope> {
    private static final long serialVersionUID = 1L;
    /** See {@link RecordSerializer#format()}; the layout includes a decided {@link OutcomeSerializer}'s. */
    static final int FORMAT = 2;
    public static final RequestEnvelopeSerializer INSTANCE = new RequestEnvelopeSerializer(FORMAT);
    /** Layout 1: without the trace context (2 appended it); read, and migrated, on restore. */
    private static final RequestEnvelopeSerializer LAYOUT_1 = new RequestEnvelopeSerializer(1);

    private final int layout;

    private RequestEnvelopeSerializer(int layout) {
        this.layout = layout;
    }

    @Override
    int format() {
        return layout;
    }

    @Override
    RecordSerializer<RequestEnvelope> readerOf(int format) {
        return format == FORMAT ? INSTANCE : format == 1 ? LAYOUT_1 : null;
    }

    /** A decided outcome is written in the outcome layout of the envelope's layout. */
    private RecordSerializer<Outcome> decidedSerializer() {
        return layout >= 2 ? OutcomeSerializer.INSTANCE : OutcomeSerializer.INSTANCE.readerOf(1);
    }

    @Override
    public RequestEnvelope createInstance() {
        return new RequestEnvelope();
    }

    @Override
    public RequestEnvelope copy(RequestEnvelope from) {
        return from == null ? null : from.copy();
    }

    @Override
    public void serialize(RequestEnvelope e, DataOutputView out) throws IOException {
        Fields.writeString(e.id, out);
        Fields.writeString(e.responseId, out);
        Fields.writeString(e.model, out);
        Fields.writeString(e.modelVersion, out);
        Fields.writeBytes(e.prepared, out);
        out.writeInt(0); // where format 1 kept the rows, which nothing read: the prepared request has them
        out.writeInt(e.priority);
        out.writeLong(e.deadlineMs);
        out.writeLong(e.producedAt);
        out.writeLong(e.acceptedAt);
        Fields.writeString(e.replyTo, out);
        out.writeInt(e.replyPartition);
        Fields.writeString(e.callbackUrl, out);
        out.writeBoolean(e.decided != null);
        if (e.decided != null) {
            decidedSerializer().serialize(e.decided, out);
        }
        Fields.writeStrings(e.binaryOutputs, out);
        if (layout >= 2) {
            Fields.writeString(e.traceparent, out);
            Fields.writeString(e.tracestate, out);
        }
    }

    @Override
    public RequestEnvelope deserialize(DataInputView in) throws IOException {
        RequestEnvelope e = new RequestEnvelope();
        e.id = Fields.readString(in);
        e.responseId = Fields.readString(in);
        e.model = Fields.readString(in);
        e.modelVersion = Fields.readString(in);
        e.prepared = Fields.readBytes(in);
        in.readInt(); // the rows of format 1's writers: not needed
        e.priority = in.readInt();
        e.deadlineMs = in.readLong();
        e.producedAt = in.readLong();
        e.acceptedAt = in.readLong();
        e.replyTo = Fields.readString(in);
        e.replyPartition = in.readInt();
        e.callbackUrl = Fields.readString(in);
        if (in.readBoolean()) {
            e.decided = decidedSerializer().deserialize(in);
        }
        e.binaryOutputs = Fields.readStrings(in);
        if (layout >= 2) {
            e.traceparent = Fields.readString(in);
            e.tracestate = Fields.readString(in);
        }
        return e;
    }

    @Override
    public TypeSerializerSnapshot<RequestEnvelope> snapshotConfiguration() {
        return new Snapshot();
    }

    public static final class Snapshot extends RecordSerializerSnapshot<RequestEnvelope> {
        public Snapshot() {
            super(INSTANCE);
        }
    }

    /** Attached to {@link RequestEnvelope} by its {@code @TypeInfo}. */
    public static final class Factory extends TypeInfoFactory<RequestEnvelope> {
        @Override
        public TypeInformation<RequestEnvelope> createTypeInfo(Type t, Map<String, TypeInformation<?>> generics) {
            return new RecordTypeInfo<>(RequestEnvelope.class, INSTANCE);
        }
    }
}
