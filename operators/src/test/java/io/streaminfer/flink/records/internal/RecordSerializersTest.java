package io.streaminfer.flink.records.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.records.StatusUpdate;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The records' hand-written serializers: every public field survives serialization and copy (set reflectively, so a
 * field added to a record but not to its serializer fails here), nulls and defaults too; the classes' type
 * information is the hand-written one; state written by the former POJO serializer is migrated.
 */
class RecordSerializersTest {

    @ParameterizedTest
    @ValueSource(classes = {RequestEnvelope.class, Outcome.class, StatusUpdate.class})
    void everyFieldSurvivesSerializationAndCopy(Class<?> type) throws Exception {
        Object filled = filled(type);
        Object back = roundTrip(serializer(type), filled);
        assertSameFields(type, back, filled);
        assertSameFields(type, copy(serializer(type), filled), filled);
        assertThat(copy(serializer(type), filled)).isNotSameAs(filled);
    }

    @ParameterizedTest
    @ValueSource(classes = {RequestEnvelope.class, Outcome.class, StatusUpdate.class})
    void nullsAndDefaultsSurviveToo(Class<?> type) throws Exception {
        Object empty = type.getConstructor().newInstance();
        assertSameFields(type, roundTrip(serializer(type), empty), empty);
    }

    @ParameterizedTest
    @ValueSource(classes = {RequestEnvelope.class, Outcome.class, StatusUpdate.class})
    void theClassesTypeInformationIsTheHandWrittenOne(Class<?> type) {
        TypeInformation<?> info = TypeInformation.of(type);
        assertThat(info).isInstanceOf(RecordTypeInfo.class);
        assertThat(info.createSerializer(new SerializerConfigImpl())).isSameAs(serializer(type));
    }

    @Test
    void aCopyOfAnEnvelopeHasItsOwnDecidedOutcome() throws Exception {
        RequestEnvelope e = (RequestEnvelope) filled(RequestEnvelope.class);
        RequestEnvelope c = RequestEnvelopeSerializer.INSTANCE.copy(e);
        c.decided.reason = "changed";
        assertThat(e.decided.reason).isNotEqualTo("changed");
    }

    @Test
    void snapshotsRestoreTheSameSerializerAndAreCompatibleAsIs() throws Exception {
        for (TypeSerializer<?> s : new TypeSerializer<?>[] {RequestEnvelopeSerializer.INSTANCE,
                OutcomeSerializer.INSTANCE, StatusUpdateSerializer.INSTANCE}) {
            TypeSerializerSnapshot<?> restored = writeAndRead(s.snapshotConfiguration());
            assertThat(restored.restoreSerializer()).isEqualTo(s);
            assertThat(compatibility(s.snapshotConfiguration(), restored).isCompatibleAsIs()).isTrue();
        }
    }

    @Test
    void eachLayoutIsPinnedSoAChangeMustRaiseItsFormat() throws Exception {
        // A changed layout read as the old one would corrupt restored state: these bytes belong to FORMAT 2. When
        // this fails, raise the serializer's FORMAT (keeping old state readable or refused), then update the hash.
        // RequestEnvelope's hash changed with the fixed instance, not the layout, when its rows field went: the int
        // is still written (as 0) where it was; envelopesOfLayoutOneWrittenWithTheirRowsReadAsTheyWere shows it.
        Map<Class<?>, String> pinned = Map.of(
                RequestEnvelope.class, "41c2e2f9684b8cde",
                Outcome.class, "ad21c55c3418d2df",
                StatusUpdate.class, "538b411dedd4dba6");
        assertThat(RequestEnvelopeSerializer.FORMAT).isEqualTo(2);
        assertThat(OutcomeSerializer.FORMAT).isEqualTo(2);
        assertThat(StatusUpdateSerializer.FORMAT).isEqualTo(2);
        assertPinned(pinned, 2);
    }

    private static void assertPinned(Map<Class<?>, String> pinned, int layout) throws Exception {
        org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
        for (Map.Entry<Class<?>, String> e : pinned.entrySet()) {
            soft.assertThat(layoutHash(e.getKey(), layout)).as("layout %d of %s", layout, e.getKey().getSimpleName())
                    .isEqualTo(e.getValue());
        }
        soft.assertAll();
    }

    @Test
    void layoutOneIsStillReadAsItWasPinned() throws Exception {
        // Layout 1 (before the trace context): its reader writes the bytes pinned for it, without the trace fields.
        Map<Class<?>, String> pinned = Map.of(
                RequestEnvelope.class, "4836446aefbdd85d",
                Outcome.class, "09aebe83578ff2f7",
                StatusUpdate.class, "d7b0ac8375c4187e");
        assertPinned(pinned, 1);
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void stateOfLayoutOneIsMigratedWithoutATraceContext() throws Exception {
        for (Class<?> type : List.of(RequestEnvelope.class, Outcome.class, StatusUpdate.class)) {
            RecordSerializer current = (RecordSerializer) serializer(type);
            TypeSerializerSnapshot old = current.snapshotConfiguration();
            DataOutputSerializer format = new DataOutputSerializer(4);
            format.writeInt(1);
            old.readSnapshot(old.getCurrentVersion(), new DataInputDeserializer(format.getCopyOfBuffer()),
                    getClass().getClassLoader());
            assertThat(compatibility(current.snapshotConfiguration(), old).isCompatibleAfterMigration())
                    .as(type.getSimpleName()).isTrue();

            Object value = filled(type);
            DataOutputSerializer out = new DataOutputSerializer(256);
            current.readerOf(1).serialize(value, out);
            Object read = old.restoreSerializer().deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
            withoutTrace(value);
            assertSameFields(type, roundTrip(current, read), value);
        }
    }

    private static void withoutTrace(Object value) {
        if (value instanceof RequestEnvelope e) {
            e.traceparent = null;
            e.tracestate = null;
            withoutTrace(e.decided);
        } else if (value instanceof Outcome o) {
            o.traceparent = null;
            o.tracestate = null;
        } else if (value instanceof StatusUpdate s) {
            s.traceparent = null;
            s.tracestate = null;
        }
    }

    /**
     * Envelopes no longer carry their rows (nothing read them; the prepared request has them), but layout 1 keeps
     * their int: written as 0 now, read and dropped, so envelopes written with rows by earlier versions (the async
     * operator's checkpointed buffer) read as they were.
     */
    @Test
    void envelopesOfLayoutOneWrittenWithTheirRowsReadAsTheyWere() throws Exception {
        RequestEnvelope e = (RequestEnvelope) filled(RequestEnvelope.class);
        DataOutputSerializer old = new DataOutputSerializer(256);
        Fields.writeString(e.id, old);
        Fields.writeString(e.responseId, old);
        Fields.writeString(e.model, old);
        Fields.writeString(e.modelVersion, old);
        Fields.writeBytes(e.prepared, old);
        old.writeInt(7); // the rows, as layout 1's writers had them
        old.writeInt(e.priority);
        old.writeLong(e.deadlineMs);
        old.writeLong(e.producedAt);
        old.writeLong(e.acceptedAt);
        Fields.writeString(e.replyTo, old);
        old.writeInt(e.replyPartition);
        Fields.writeString(e.callbackUrl, old);
        old.writeBoolean(true);
        OutcomeSerializer.INSTANCE.readerOf(1).serialize(e.decided, old);
        Fields.writeStrings(e.binaryOutputs, old);
        withoutTrace(e);

        DataInputDeserializer in = new DataInputDeserializer(old.getCopyOfBuffer());
        RequestEnvelope read = RequestEnvelopeSerializer.INSTANCE.readerOf(1).deserialize(in);
        assertThat(in.available()).as("bytes left unread").isZero();
        assertSameFields(RequestEnvelope.class, read, e);
    }

    @Test
    void stateOfAnotherLayoutIsRefusedNotMisread() throws Exception {
        for (TypeSerializer<?> s : new TypeSerializer<?>[] {RequestEnvelopeSerializer.INSTANCE,
                OutcomeSerializer.INSTANCE, StatusUpdateSerializer.INSTANCE}) {
            TypeSerializerSnapshot<?> other = s.snapshotConfiguration();
            DataOutputSerializer format = new DataOutputSerializer(4);
            format.writeInt(((RecordSerializer<?>) s).format() + 1);
            other.readSnapshot(other.getCurrentVersion(), new DataInputDeserializer(format.getCopyOfBuffer()),
                    getClass().getClassLoader());
            assertThat(compatibility(s.snapshotConfiguration(), other).isIncompatible()).isTrue();
            org.assertj.core.api.Assertions.assertThatThrownBy(other::restoreSerializer)
                    .hasMessageContaining("layout " + (((RecordSerializer<?>) s).format() + 1))
                    .hasMessageContaining("start without that state");
        }
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void stateWrittenByThePojoSerializerOfEarlierVersionsIsMigrated() throws Exception {
        // StatusUpdate as Flink's POJO analysis saw it before it had a serializer of its own.
        Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
        fields.put("id", Types.STRING);
        fields.put("model", Types.STRING);
        fields.put("modelVersion", Types.STRING);
        fields.put("state", Types.ENUM(RequestState.class));
        fields.put("errorCode", Types.ENUM(ErrorCode.class));
        fields.put("reason", Types.STRING);
        fields.put("acceptedAt", Types.LONG);
        fields.put("updatedAt", Types.LONG);
        fields.put("step", Types.STRING);
        TypeSerializer<StatusUpdate> pojo = Types.POJO(StatusUpdate.class, fields)
                .createSerializer(new SerializerConfigImpl());
        assertThat(pojo.getClass().getSimpleName()).isEqualTo("PojoSerializer");
        TypeSerializerSnapshot<StatusUpdate> old = (TypeSerializerSnapshot) writeAndRead(pojo.snapshotConfiguration());

        assertThat(new StatusUpdateSerializer.Snapshot().resolveSchemaCompatibility(old).isCompatibleAfterMigration())
                .isTrue();
        // What migration does: read with the restored POJO serializer, write with the new one.
        StatusUpdate s = (StatusUpdate) filled(StatusUpdate.class);
        DataOutputSerializer out = new DataOutputSerializer(256);
        pojo.serialize(s, out);
        StatusUpdate read = old.restoreSerializer().deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        withoutTrace(s);
        assertSameFields(StatusUpdate.class, roundTrip(StatusUpdateSerializer.INSTANCE, read), s);
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private static TypeSerializer<?> serializer(Class<?> type) {
        if (type == RequestEnvelope.class) {
            return RequestEnvelopeSerializer.INSTANCE;
        }
        return type == Outcome.class ? OutcomeSerializer.INSTANCE : StatusUpdateSerializer.INSTANCE;
    }

    @SuppressWarnings("unchecked")
    private static <T> Object roundTrip(TypeSerializer<T> s, Object value) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        s.serialize((T) value, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        T back = s.deserialize(in);
        assertThat(in.available()).as("bytes left unread").isZero();
        // copy(DataInputView, DataOutputView) writes the same bytes again
        DataOutputSerializer again = new DataOutputSerializer(64);
        s.copy(new DataInputDeserializer(out.getCopyOfBuffer()), again);
        assertThat(again.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
        return back;
    }

    @SuppressWarnings("unchecked")
    private static <T> Object copy(TypeSerializer<T> s, Object value) {
        return s.copy((T) value);
    }

    private static TypeSerializerSnapshot<?> writeAndRead(TypeSerializerSnapshot<?> snapshot) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        return TypeSerializerSnapshot.readVersionedSnapshot(new DataInputDeserializer(out.getCopyOfBuffer()),
                RecordSerializersTest.class.getClassLoader());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility<?> compatibility(
            TypeSerializerSnapshot current, TypeSerializerSnapshot old) {
        return current.resolveSchemaCompatibility(old);
    }

    /** SHA-256 (first 16 hex digits) of the bytes of a fixed instance (every field set, see {@link #filled}). */
    private static String layoutHash(Class<?> type, int layout) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serialize(((RecordSerializer<?>) serializer(type)).readerOf(layout), filled(type), out);
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(out.getCopyOfBuffer());
        return java.util.HexFormat.of().formatHex(digest).substring(0, 16);
    }

    @SuppressWarnings("unchecked")
    private static <T> void serialize(TypeSerializer<T> s, Object value, DataOutputSerializer out) throws Exception {
        s.serialize((T) value, out);
    }

    /** An instance with every public field set to a value other than its default. */
    private static Object filled(Class<?> type) throws Exception {
        Object o = type.getConstructor().newInstance();
        int i = 0;
        for (Field f : fields(type)) {
            if (!f.getName().startsWith("trace")) { // layout 2's trace fields take no number: layout 1's stay pinned
                i++;
            }
            Class<?> t = f.getType();
            if (t == String.class) {
                f.set(o, "v-" + f.getName() + "-é");
            } else if (t == int.class) {
                f.setInt(o, 100 + i);
            } else if (t == long.class) {
                f.setLong(o, 10_000_000_000L + i);
            } else if (t == boolean.class) {
                f.setBoolean(o, true);
            } else if (t == byte[].class) {
                f.set(o, new byte[] {1, (byte) i, -1});
            } else if (t == String[].class) {
                f.set(o, new String[] {"a-" + i, null, "b"});
            } else if (t.isEnum()) {
                Object[] constants = t.getEnumConstants();
                f.set(o, constants[constants.length - 1]);
            } else if (t == Outcome.class) {
                f.set(o, filled(Outcome.class));
            } else {
                throw new AssertionError("the test does not know how to fill " + type.getSimpleName() + "."
                        + f.getName() + " of " + t + ": teach it, and the serializer");
            }
        }
        return o;
    }

    private static void assertSameFields(Class<?> type, Object actual, Object expected) throws Exception {
        for (Field f : fields(type)) {
            Object a = f.get(actual);
            Object e = f.get(expected);
            if (f.getType() == Outcome.class && e != null) {
                assertThat(a).as(f.getName()).isNotNull();
                assertSameFields(Outcome.class, a, e);
            } else {
                assertThat(a).as(type.getSimpleName() + "." + f.getName()).isEqualTo(e);
            }
        }
    }

    private static java.util.List<Field> fields(Class<?> type) {
        java.util.List<Field> out = new java.util.ArrayList<>();
        for (Field f : type.getFields()) {
            if (!Modifier.isStatic(f.getModifiers())) {
                out.add(f);
            }
        }
        out.sort(java.util.Comparator.comparing(Field::getName)); // reflection's order is not specified
        return out;
    }
}
