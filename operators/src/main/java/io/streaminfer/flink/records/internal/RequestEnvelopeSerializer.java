package io.streaminfer.flink.records.internal;

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
    public static final RequestEnvelopeSerializer INSTANCE = new RequestEnvelopeSerializer();
    /** See {@link RecordSerializer#format()}; the layout includes a decided {@link OutcomeSerializer}'s. */
    static final int FORMAT = 1;

    @Override
    int format() {
        return FORMAT;
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
            OutcomeSerializer.INSTANCE.serialize(e.decided, out);
        }
        Fields.writeStrings(e.binaryOutputs, out);
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
            e.decided = OutcomeSerializer.INSTANCE.deserialize(in);
        }
        e.binaryOutputs = Fields.readStrings(in);
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
