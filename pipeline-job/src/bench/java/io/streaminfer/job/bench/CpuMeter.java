package io.streaminfer.job.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the CPU went during a phase. Broker, Flink and clients share one JVM, so threads are the only cheap way to
 * tell them apart: Java threads by name from ThreadMXBean (a pool's threads grouped: "request-handler-3" and "-0"
 * add up), and the threads it does not list (JIT compilers, GC, RocksDB's native background threads) by their
 * Linux name from /proc/self/task. The machine's totals from /proc/stat, less this process, are what other
 * processes took: how noisy the figures are.
 */
public final class CpuMeter {
    /** Linux reports /proc in USER_HZ ticks, 100 per second on every mainstream kernel. */
    private static final double NANOS_PER_TICK = 1e9 / 100;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    public CpuMeter() {}

    private final long wall = System.nanoTime();
    private final long process = processCpuNanos();
    private final long[] machine = machineNanos();
    private final long gcMillis = gcMillis();
    private final Map<Long, Long> javaThreads = javaThreadCpu();
    private final Map<String, Long> hidden = hiddenThreadCpu();

    /** CPU used since this meter was made. */
    public Usage since() {
        long wallNow = System.nanoTime();
        long processNow = processCpuNanos();
        long[] machineNow = machineNanos();
        Map<String, Long> groups = new HashMap<>();
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long cpu = THREADS.getThreadCpuTime(ids[i]);
            if (cpu >= 0 && infos[i] != null) {
                groups.merge(group(infos[i].getThreadName()), cpu - javaThreads.getOrDefault(ids[i], 0L), Long::sum);
            }
        }
        hiddenThreadCpu().forEach((kind, cpu) -> groups.put(kind, Math.max(0, cpu - hidden.getOrDefault(kind, 0L))));
        long[] m = new long[3];
        for (int i = 0; i < 3; i++) {
            m[i] = machine[0] < 0 ? -1 : machineNow[i] - machine[i];
        }
        return new Usage(wallNow - wall, processNow - process, m[0], m[1], m[2], gcMillis() - gcMillis, groups);
    }

    /**
     * @param tasksNanos all processes' user and system time; {@code irqNanos} the kernel's interrupt work (here
     *     mostly the loopback network between clients and broker); {@code stealNanos} what the hypervisor took
     */
    public record Usage(long wallNanos, long processNanos, long tasksNanos, long irqNanos, long stealNanos, long gcMillis,
            Map<String, Long> groups) {
        public double processCores() {
            return (double) processNanos / wallNanos;
        }

        /** Cores' worth of CPU that other processes (and the hypervisor) took; NaN without /proc/stat. */
        public double otherCores() {
            return tasksNanos < 0 ? Double.NaN
                    : Math.max(0, (double) (tasksNanos - processNanos + stealNanos) / wallNanos);
        }

        /** CPU of the thread groups named (see {@link CpuMeter#group}) in this JVM. */
        public long nanosOf(List<String> names) {
            long sum = 0;
            for (String n : names) {
                sum += groups.getOrDefault(n, 0L);
            }
            return sum;
        }

        /** One line on the machine: this JVM, interrupts, others, GC. */
        public String summary() {
            return String.format("this JVM %.2f cores, kernel irq/softirq %.2f, other processes %.2f (steal "
                            + "included); GC pauses %d ms in %.1f s", processCores(), (double) irqNanos / wallNanos,
                    otherCores(), gcMillis, wallNanos / 1e9);
        }

        /** The {@code top} thread groups by CPU, then the rest, as lines "share%  name" of this JVM's CPU. */
        public List<String> top(int top) {
            List<Map.Entry<String, Long>> sorted = new ArrayList<>(groups.entrySet());
            sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
            List<String> lines = new ArrayList<>();
            long shown = 0;
            for (int i = 0; i < Math.min(top, sorted.size()); i++) {
                lines.add(String.format("%5.1f%%  %s", 100.0 * sorted.get(i).getValue() / processNanos,
                        sorted.get(i).getKey()));
                shown += sorted.get(i).getValue();
            }
            long listed = groups.values().stream().mapToLong(Long::longValue).sum();
            lines.add(String.format("%5.1f%%  other threads", 100.0 * (listed - shown) / processNanos));
            lines.add(String.format("%5.1f%%  threads that ended, unnamed native threads",
                    100.0 * (processNanos - listed) / processNanos));
            return lines;
        }
    }

    /** Flink's "(1/1)#0" subtask suffix and numbers in names go, so a pool's threads form one group. */
    static String group(String threadName) {
        String g = threadName.replaceAll(" \\(\\d+/\\d+\\)#\\d+", "").replaceAll("\\d+", "N");
        return g.length() > 90 ? g.substring(0, 87) + "..." : g;
    }

    private static Map<Long, Long> javaThreadCpu() {
        Map<Long, Long> out = new HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long cpu = THREADS.getThreadCpuTime(id);
            if (cpu >= 0) {
                out.put(id, cpu);
            }
        }
        return out;
    }

    /** CPU of the threads ThreadMXBean does not list, by kind, from their Linux names; empty without /proc. */
    private static Map<String, Long> hiddenThreadCpu() {
        Map<String, Long> out = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException ended) {
                    continue;
                }
                int close = stat.lastIndexOf(')'); // the name may hold spaces and parentheses
                String kind = hiddenKind(stat.substring(stat.indexOf('(') + 1, close));
                if (kind != null) {
                    String[] f = stat.substring(close + 2).split(" "); // f[0] is field 3, the state
                    out.merge(kind, (long) ((Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK),
                            Long::sum);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return out;
    }

    private static String hiddenKind(String linuxName) {
        if (linuxName.contains("CompilerThre")) {
            return "[JVM] JIT compiler threads";
        }
        if (linuxName.startsWith("GC Thread") || linuxName.startsWith("G1 ") || linuxName.equals("VM Thread")) {
            return "[JVM] GC threads, VM thread";
        }
        if (linuxName.startsWith("rocksdb")) {
            return "[native] RocksDB background threads";
        }
        return null;
    }

    static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /** {user+nice+system, irq+softirq, steal} of all CPUs of the machine in nanoseconds, or {-1} without /proc. */
    static long[] machineNanos() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            return new long[] {ticks(f, 1, 2, 3), ticks(f, 6, 7), ticks(f, 8)};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1, -1};
        }
    }

    private static long ticks(String[] fields, int... columns) {
        long sum = 0;
        for (int c : columns) {
            sum += Long.parseLong(fields[c]);
        }
        return (long) (sum * NANOS_PER_TICK);
    }

    private static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }
}
