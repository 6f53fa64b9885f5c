package io.streaminfer.flink.inference;

import io.streaminfer.flink.inference.internal.GpuAllocator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;

/**
 * The GPU a replica takes among those Flink's external resource framework gave its task manager (resource
 * {@code gpu}): the least used one in this JVM (see {@link GpuAllocator}). Shared by the DataStream job's inference
 * function and the SQL model provider.
 *
 * <pre>{@code
 * int gpu = AssignedGpus.acquire(getRuntimeContext().getExternalResourceInfos("gpu"));   // -1: none assigned
 * ...
 * AssignedGpus.release(gpu);   // on close; a no-op for -1
 * }</pre>
 */
public final class AssignedGpus {
    private AssignedGpus() {}

    /** The index of the GPU taken, or -1 when Flink assigned none (no {@code gpu} resource, or no indexes). */
    public static int acquire(Set<ExternalResourceInfo> gpus) {
        if (gpus == null || gpus.isEmpty()) {
            return -1;
        }
        List<Integer> indexes = new ArrayList<>();
        for (ExternalResourceInfo info : gpus) {
            info.getProperty("index").ifPresent(i -> indexes.add(Integer.parseInt(i.trim())));
        }
        if (indexes.isEmpty()) {
            return -1;
        }
        Collections.sort(indexes);
        return GpuAllocator.acquire(indexes);
    }

    /** Gives back a GPU taken by {@link #acquire}; -1 is ignored. */
    public static void release(int gpu) {
        if (gpu >= 0) {
            GpuAllocator.release(gpu);
        }
    }
}
