package io.streaminfer.flink.records.internal;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Snapshot of a record serializer: it records the byte layout ({@link RecordSerializer#format()}) the state was
 * written in, so that a later layout never reads an older one as its own. State of the same layout is compatible as
 * is; state of an older layout whose reader is kept ({@link RecordSerializer#readerOf}) is migrated; any other is
 * refused with a message.
 * State written by the reflective POJO serializer these records had before (savepoints of earlier versions of the
 * job) is migrated: Flink reads it with the POJO serializer and writes it again with this one.
 */
abstract class RecordSerializerSnapshot<T> implements TypeSerializerSnapshot<T> {
    /** Of this snapshot's own layout (a single int: the records' format). */
    private static final int VERSION = 1;

    private final RecordSerializer<T> current;
    /** The layout of the state this snapshot describes. */
    private int format;

    RecordSerializerSnapshot(RecordSerializer<T> current) {
        this.current = current;
        this.format = current.format();
    }

    @Override
    public int getCurrentVersion() {
        return VERSION;
    }

    @Override
    public void writeSnapshot(DataOutputView out) throws IOException {
        out.writeInt(format);
    }

    @Override
    public void readSnapshot(int version, DataInputView in, ClassLoader classLoader) throws IOException {
        if (version != VERSION) {
            throw new IOException("unknown snapshot version " + version + " of " + getClass().getName());
        }
        format = in.readInt();
    }

    @Override
    public TypeSerializer<T> restoreSerializer() {
        RecordSerializer<T> reader = current.readerOf(format);
        if (reader == null) {
            throw new IllegalStateException(unreadable());
        }
        return reader;
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(TypeSerializerSnapshot<T> old) {
        if (old instanceof PojoSerializerSnapshot) {
            return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
        }
        if (old.getClass() == getClass()) {
            int oldFormat = ((RecordSerializerSnapshot<T>) old).format;
            if (oldFormat == current.format()) {
                return TypeSerializerSchemaCompatibility.compatibleAsIs();
            }
            if (current.readerOf(oldFormat) != null) {
                return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            }
        }
        return TypeSerializerSchemaCompatibility.incompatible();
    }

    private String unreadable() {
        return "state of " + current.getClass().getSimpleName() + " was written in layout " + format + "; this "
                + "version of the job reads layout " + current.format() + " and the older ones it migrates: restore it with the version that "
                + "wrote it, or start without that state";
    }
}
