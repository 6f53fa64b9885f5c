package io.streaminfer.flink.inference.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuAllocatorTest {
    @Test
    void spreadsReplicasOverTheGpusWhateverTheirSubtaskIndexes() {
        // GPUs 5 and 7 on this task manager (distinct from other tests' indexes: the allocator is JVM-wide).
        List<Integer> gpus = List.of(7, 5);
        List<Integer> taken = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            taken.add(GpuAllocator.acquire(gpus));
        }
        assertThat(taken).containsExactly(5, 7, 5, 7);
        GpuAllocator.release(7);
        assertThat(GpuAllocator.users(7)).isEqualTo(1);
        assertThat(GpuAllocator.acquire(gpus)).as("the freed GPU is the least used").isEqualTo(7);
        for (int i = 0; i < 3; i++) {
            GpuAllocator.release(taken.get(i));
        }
        GpuAllocator.release(7);
        assertThat(GpuAllocator.users(5)).isZero();
        assertThat(GpuAllocator.users(7)).isZero();
    }

    @Test
    void noGpusIsAnError() {
        assertThatThrownBy(() -> GpuAllocator.acquire(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
