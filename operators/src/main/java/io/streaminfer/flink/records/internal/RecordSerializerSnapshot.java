package io.streaminfer.flink.records.internal;

import java.util.function.Supplier;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;

/**
 * Snapshot of a record serializer. State written by the reflective POJO serializer that these records had before
 * (savepoints of earlier versions of the job) is migrated: Flink reads it with the POJO serializer and writes it again
 * with this one, so an upgrade does not need a fresh start.
 */
abstract class RecordSerializerSnapshot<T> extends SimpleTypeSerializerSnapshot<T> {
    RecordSerializerSnapshot(Supplier<? extends TypeSerializer<T>> serializer) {
        super(serializer);
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(TypeSerializerSnapshot<T> old) {
        if (old instanceof PojoSerializerSnapshot) {
            return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
        }
        return super.resolveSchemaCompatibility(old);
    }
}
