package io.streaminfer.flink.records.internal;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** {@link Outcome}, field by field; a new field must be added here (the round-trip test fails until it is). */
public final class OutcomeSerializer extends RecordSerializer<Outcome> {
    private static final long serialVersionUID = 1L;
    /** See {@link RecordSerializer#format()}. */
    static final int FORMAT = 2;
    public static final OutcomeSerializer INSTANCE = new OutcomeSerializer(FORMAT);
    /** Layout 1: without the trace context (2 appended it); read, and migrated, on restore. */
    private static final OutcomeSerializer LAYOUT_1 = new OutcomeSerializer(1);

    private final int layout;

    private OutcomeSerializer(int layout) {
        this.layout = layout;
    }

    @Override
    int format() {
        return layout;
    }

    @Override
    RecordSerializer<Outcome> readerOf(int format) {
        return format == FORMAT ? INSTANCE : format == 1 ? LAYOUT_1 : null;
    }

    @Override
    public Outcome createInstance() {
        return new Outcome();
    }

    @Override
    public Outcome copy(Outcome from) {
        return from == null ? null : from.copy();
    }

    @Override
    public void serialize(Outcome o, DataOutputView out) throws IOException {
        Fields.writeString(o.id, out);
        Fields.writeString(o.responseId, out);
        Fields.writeString(o.model, out);
        Fields.writeString(o.modelVersion, out);
        Fields.writeEnum(o.state, out);
        Fields.writeEnum(o.errorCode, out);
        Fields.writeString(o.reason, out);
        Fields.writeBytes(o.result, out);
        out.writeInt(o.resultHeaderLength);
        Fields.writeBytes(o.stored, out);
        out.writeInt(o.storedHeaderLength);
        out.writeBoolean(o.jsonFromState);
        out.writeLong(o.producedAt);
        out.writeLong(o.acceptedAt);
        out.writeLong(o.finishedAt);
        Fields.writeString(o.replyTo, out);
        out.writeInt(o.replyPartition);
        Fields.writeString(o.callbackUrl, out);
        out.writeBoolean(o.replay);
        out.writeLong(o.queueMicros);
        out.writeLong(o.modelMicros);
        Fields.writeString(o.step, out);
        if (layout >= 2) {
            Fields.writeString(o.traceparent, out);
            Fields.writeString(o.tracestate, out);
        }
    }

    @Override
    public Outcome deserialize(DataInputView in) throws IOException {
        Outcome o = new Outcome();
        o.id = Fields.readString(in);
        o.responseId = Fields.readString(in);
        o.model = Fields.readString(in);
        o.modelVersion = Fields.readString(in);
        o.state = Fields.readEnum(RequestState.class, in);
        o.errorCode = Fields.readEnum(ErrorCode.class, in);
        o.reason = Fields.readString(in);
        o.result = Fields.readBytes(in);
        o.resultHeaderLength = in.readInt();
        o.stored = Fields.readBytes(in);
        o.storedHeaderLength = in.readInt();
        o.jsonFromState = in.readBoolean();
        o.producedAt = in.readLong();
        o.acceptedAt = in.readLong();
        o.finishedAt = in.readLong();
        o.replyTo = Fields.readString(in);
        o.replyPartition = in.readInt();
        o.callbackUrl = Fields.readString(in);
        o.replay = in.readBoolean();
        o.queueMicros = in.readLong();
        o.modelMicros = in.readLong();
        o.step = Fields.readString(in);
        if (layout >= 2) {
            o.traceparent = Fields.readString(in);
            o.tracestate = Fields.readString(in);
        }
        return o;
    }

    @Override
    public TypeSerializerSnapshot<Outcome> snapshotConfiguration() {
        return new Snapshot();
    }

    public static final class Snapshot extends RecordSerializerSnapshot<Outcome> {
        public Snapshot() {
            super(INSTANCE);
        }
    }

    /** Attached to {@link Outcome} by its {@code @TypeInfo}. */
    public static final class Factory extends TypeInfoFactory<Outcome> {
        @Override
        public TypeInformation<Outcome> createTypeInfo(Type t, Map<String, TypeInformation<?>> generics) {
            return new RecordTypeInfo<>(Outcome.class, INSTANCE);
        }
    }
}
