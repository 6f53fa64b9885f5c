package io.streaminfer.flink.inference;

import io.streaminfer.flink.inference.internal.GpuAllocator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;

/**
 * The GPU a replica takes among those Flink's external resource framework gave its task manager (resource
 * {@code gpu}): the least used one in this JVM (see {@link GpuAllocator}). Shared by the DataStream job's inference
 * function and the SQL model provider.
 *
 * <pre>{@code
 * OptionalInt gpu = AssignedGpus.acquire(getRuntimeContext().getExternalResourceInfos("gpu"));   // empty: none
 * ...
 * AssignedGpus.release(gpu);   // on close; a no-op when empty
 * }</pre>
 */
@Internal
public final class AssignedGpus {
    /** The name of Flink's external resource whose indexes are the task manager's GPUs. */
    public static final String RESOURCE = "gpu";

    private AssignedGpus() {}

    /** The index of the GPU taken; empty when Flink assigned none (no {@code gpu} resource, or no indexes). */
    public static OptionalInt acquire(Set<ExternalResourceInfo> gpus) {
        if (gpus == null || gpus.isEmpty()) {
            return OptionalInt.empty();
        }
        List<Integer> indexes = new ArrayList<>();
        for (ExternalResourceInfo info : gpus) {
            info.getProperty("index").ifPresent(i -> indexes.add(Integer.parseInt(i.trim())));
        }
        if (indexes.isEmpty()) {
            return OptionalInt.empty();
        }
        Collections.sort(indexes);
        return OptionalInt.of(GpuAllocator.acquire(indexes));
    }

    /** Gives back a GPU taken by {@link #acquire}; none is a no-op. */
    public static void release(OptionalInt gpu) {
        gpu.ifPresent(GpuAllocator::release);
    }
}
