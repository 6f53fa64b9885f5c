package io.streaminfer.flink.records.internal;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.StatusUpdate;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** {@link StatusUpdate}, field by field; a new field must be added here (the round-trip test fails until it is). */
public final class StatusUpdateSerializer extends RecordSerializer<StatusUpdate> {
    private static final long serialVersionUID = 1L;
    /** See {@link RecordSerializer#format()}. */
    static final int FORMAT = 2;
    public static final StatusUpdateSerializer INSTANCE = new StatusUpdateSerializer(FORMAT);
    /** Layout 1: without the trace context (2 appended it); read, and migrated, on restore. */
    private static final StatusUpdateSerializer LAYOUT_1 = new StatusUpdateSerializer(1);

    private final int layout;

    private StatusUpdateSerializer(int layout) {
        this.layout = layout;
    }

    @Override
    int format() {
        return layout;
    }

    @Override
    RecordSerializer<StatusUpdate> readerOf(int format) {
        return format == FORMAT ? INSTANCE : format == 1 ? LAYOUT_1 : null;
    }

    @Override
    public StatusUpdate createInstance() {
        return new StatusUpdate();
    }

    @Override
    public StatusUpdate copy(StatusUpdate from) {
        return from == null ? null : from.copy();
    }

    @Override
    public void serialize(StatusUpdate s, DataOutputView out) throws IOException {
        Fields.writeString(s.id, out);
        Fields.writeString(s.model, out);
        Fields.writeString(s.modelVersion, out);
        Fields.writeEnum(s.state, out);
        Fields.writeEnum(s.errorCode, out);
        Fields.writeString(s.reason, out);
        out.writeLong(s.acceptedAt);
        out.writeLong(s.updatedAt);
        Fields.writeString(s.step, out);
        if (layout >= 2) {
            Fields.writeString(s.traceparent, out);
            Fields.writeString(s.tracestate, out);
        }
    }

    @Override
    public StatusUpdate deserialize(DataInputView in) throws IOException {
        StatusUpdate s = new StatusUpdate();
        s.id = Fields.readString(in);
        s.model = Fields.readString(in);
        s.modelVersion = Fields.readString(in);
        s.state = Fields.readEnum(RequestState.class, in);
        s.errorCode = Fields.readEnum(ErrorCode.class, in);
        s.reason = Fields.readString(in);
        s.acceptedAt = in.readLong();
        s.updatedAt = in.readLong();
        s.step = Fields.readString(in);
        if (layout >= 2) {
            s.traceparent = Fields.readString(in);
            s.tracestate = Fields.readString(in);
        }
        return s;
    }

    @Override
    public TypeSerializerSnapshot<StatusUpdate> snapshotConfiguration() {
        return new Snapshot();
    }

    public static final class Snapshot extends RecordSerializerSnapshot<StatusUpdate> {
        public Snapshot() {
            super(INSTANCE);
        }
    }

    /** Attached to {@link StatusUpdate} by its {@code @TypeInfo}. */
    public static final class Factory extends TypeInfoFactory<StatusUpdate> {
        @Override
        public TypeInformation<StatusUpdate> createTypeInfo(Type t, Map<String, TypeInformation<?>> generics) {
            return new RecordTypeInfo<>(StatusUpdate.class, INSTANCE);
        }
    }
}
