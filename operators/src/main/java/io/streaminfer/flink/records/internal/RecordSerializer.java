package io.streaminfer.flink.records.internal;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Base of the hand-written serializers of the job's records: stateless (so {@link #duplicate()} is itself), written
 * field by field without reflection. {@link #copy(Object)} shares the records' arrays: they are never written after
 * a record is built, so a copy only needs its own fields (Flink copies records between chained operators under
 * object reuse, and copying a request's prepared bytes each time showed in the profiles).
 */
abstract class RecordSerializer<T> extends TypeSerializer<T> {
    private static final long serialVersionUID = 1L;

    /**
     * The byte layout {@code serialize} writes, recorded in every snapshot. Change the layout (a field added,
     * removed, reordered or retyped): raise it, or state of the old layout would be read as the new one; the test
     * that pins each layout's bytes fails until it is raised.
     */
    abstract int format();

    /**
     * The serializer that reads (and writes) state of layout {@code format}: this one for its own layout, one of an
     * older layout that it still reads (its missing fields stay at their defaults), else null.
     */
    abstract RecordSerializer<T> readerOf(int format);

    @Override
    public final boolean isImmutableType() {
        return false;
    }

    @Override
    public final TypeSerializer<T> duplicate() {
        return this;
    }

    @Override
    public final T copy(T from, T reuse) {
        return copy(from);
    }

    @Override
    public final int getLength() {
        return -1;
    }

    @Override
    public final T deserialize(T reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public final void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public final boolean equals(Object obj) {
        return obj != null && obj.getClass() == getClass() && ((RecordSerializer<?>) obj).format() == format();
    }

    @Override
    public final int hashCode() {
        return 31 * getClass().hashCode() + format();
    }
}
