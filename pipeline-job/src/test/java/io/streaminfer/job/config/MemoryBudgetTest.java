package io.streaminfer.job.config;

import static io.streaminfer.job.config.MemoryBudget.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    @Test
    void theBoundAddsUpEveryPartFromTheSettings() {
        JobConfig c = JobConfig.parse("limits: {max-request-bytes: 4194304, max-in-flight-bytes: 33554432}\n");
        MemoryBudget b = MemoryBudget.of(c, null);
        // fetched ahead (2 + 2) × 4 + parsing 3 × 4 + in flight 2 × 32 + sinks 3 × 8 + base 64 MiB
        assertThat(b.total()).isEqualTo((16 + 12 + 64 + 24 + 64) * MIB);
        assertThat(b.maxInFlightBytes()).isEqualTo(32 * MIB);
        assertThat(b.problems()).isEmpty();
    }

    @Test
    void clientPropertiesThatChangeAPartChangeTheBound() {
        JobConfig c = JobConfig.parse("kafka:\n  properties: {fetch.max.bytes: '52428800', buffer.memory: '33554432'}\n"
                + "limits: {max-in-flight-bytes: 33554432}\n");
        assertThat(MemoryBudget.of(c, null).total()).isEqualTo((200 + 12 + 64 + 96 + 64) * MIB);
    }

    @Test
    void inFlightBytesAreDerivedFromTheTaskHeapWhenNotSet() {
        JobConfig c = JobConfig.parse("{}");
        assertThat(MemoryBudget.of(c, null).maxInFlightBytes()).as("heap not known").isEqualTo(64 * MIB);
        // 80% of 400 MiB = 320, less 116 MiB of the other parts, halved (requests and a checkpoint's copy)
        assertThat(MemoryBudget.of(c, 400 * MIB).maxInFlightBytes()).isEqualTo(102 * MIB);
        assertThat(MemoryBudget.of(c, 400 * MIB).problems()).isEmpty();
        assertThat(MemoryBudget.of(c, 8L << 30).maxInFlightBytes()).as("at most").isEqualTo(256 * MIB);
        assertThat(MemoryBudget.of(c, 100 * MIB).maxInFlightBytes()).as("at least").isEqualTo(16 * MIB);
        assertThat(MemoryBudget.of(c, 100 * MIB).problems()).as("and then it may not fit").hasSize(1);
    }

    @Test
    void aBoundOverTheTaskHeapIsRefusedWithWhatToChange() {
        JobConfig c = JobConfig.parse("limits: {max-in-flight-bytes: 268435456}\n");
        assertThat(MemoryBudget.of(c, 400 * MIB).problems()).singleElement().asString()
                .startsWith("the job needs up to 628 MiB of heap per slot (fetched ahead 16 + parsing 12 + in "
                        + "flight 512 + sink buffers 24 + base 64 MiB) but a slot's share of the task managers' task "
                        + "heap is 400 MiB, of which 80% may be counted")
                .contains("lower limits.max-in-flight-bytes (now 256 MiB) or limits.max-request-bytes (now 4 MiB)")
                .contains("taskmanager.memory.task.heap.size");
    }

    @Test
    void inFlightMustHoldTwoOfTheLargestRequests() {
        JobConfig c = JobConfig.parse("limits: {max-request-bytes: 16777216, max-in-flight-bytes: 16777216}\n");
        assertThat(MemoryBudget.of(c, null).problems()).singleElement().asString()
                .startsWith("limits.max-in-flight-bytes (16 MiB) must hold at least two requests of "
                        + "limits.max-request-bytes (16 MiB)");
    }

    /** The defaults fit the local stack's task managers (deploy/cluster/start) with room to spare. */
    @Test
    void theDefaultsFitTheLocalClustersTaskManagers() throws Exception {
        String script = Files.readString(repoRoot().resolve("deploy/cluster/start"));
        Configuration tm = new Configuration();
        tm.set(TaskManagerOptions.TOTAL_PROCESS_MEMORY, MemorySize.parse(value(script, "TM_MEMORY=(\\S+)")));
        tm.set(TaskManagerOptions.TASK_OFF_HEAP_MEMORY,
                MemorySize.parse(value(script, "taskmanager.memory.task.off-heap.size: (\\S+)")));
        tm.set(TaskManagerOptions.MANAGED_MEMORY_SIZE,
                MemorySize.parse(value(script, "taskmanager.memory.managed.size: (\\S+)")));
        tm.set(TaskManagerOptions.JVM_OVERHEAD_MIN,
                MemorySize.parse(value(script, "taskmanager.memory.jvm-overhead.min: (\\S+)")));
        tm.set(TaskManagerOptions.NUM_TASK_SLOTS, 2); // the cluster tests' and the largest local layout
        long heapPerSlot = TaskExecutorProcessUtils.processSpecFromConfig(tm).getTaskHeapSize().getBytes() / 2;

        MemoryBudget b = MemoryBudget.of(JobConfig.parse("{}"), heapPerSlot);

        assertThat(b.problems()).isEmpty();
        assertThat(b.total()).as("a fifth of the heap left to what is not counted").isLessThanOrEqualTo(
                (long) (0.8 * heapPerSlot));
        assertThat(b.maxInFlightBytes()).as("room for a few dozen large requests").isGreaterThanOrEqualTo(32 * MIB);
    }

    private static String value(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in deploy/cluster/start", regex).isTrue();
        return m.group(1);
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (!p.resolve("deploy").toFile().isDirectory()) {
            p = p.getParent();
        }
        return p;
    }
}
