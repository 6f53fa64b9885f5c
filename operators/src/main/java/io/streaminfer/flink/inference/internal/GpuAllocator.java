package io.streaminfer.flink.inference.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands each inference subtask of a task manager the least used of the GPUs Flink assigned to that task manager.
 * The global subtask index says nothing about which subtasks share a task manager, so {@code subtask % gpus} can put
 * two replicas on one GPU and none on another; counting in the task manager's JVM cannot. Static per user-code
 * classloader, i.e. per job in a task manager, which is the scope that matters; {@link #release} on close keeps the
 * counts right across restarts that reuse the classloader.
 */
public final class GpuAllocator {
    private static final Map<Integer, Integer> USERS = new HashMap<>();

    private GpuAllocator() {}

    /** The least used index among {@code indexes} (the lowest on a tie), now counted as used once more. */
    public static synchronized int acquire(List<Integer> indexes) {
        if (indexes.isEmpty()) {
            throw new IllegalArgumentException("no GPU indexes to choose from");
        }
        int best = indexes.get(0);
        for (int i : indexes) {
            int users = USERS.getOrDefault(i, 0);
            if (users < USERS.getOrDefault(best, 0) || (users == USERS.getOrDefault(best, 0) && i < best)) {
                best = i;
            }
        }
        USERS.merge(best, 1, Integer::sum);
        return best;
    }

    public static synchronized void release(int index) {
        USERS.computeIfPresent(index, (k, v) -> v <= 1 ? null : v - 1);
    }

    /** For tests: how many replicas use this GPU now. */
    public static synchronized int users(int index) {
        return USERS.getOrDefault(index, 0);
    }
}
