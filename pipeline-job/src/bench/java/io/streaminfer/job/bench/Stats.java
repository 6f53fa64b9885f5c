package io.streaminfer.job.bench;

import java.util.Arrays;

/** Percentiles of a sample of durations in nanoseconds. */
public final class Stats {
    private final long[] sorted;

    public Stats(long[] nanos, int count) {
        this.sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
    }

    public double percentileMs(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100.0 * sorted.length) - 1));
        return sorted[i] / 1e6;
    }

    public int count() {
        return sorted.length;
    }

    /** Resident set size of this process in MiB, from /proc (Linux); -1 elsewhere. */
    public static long rssMiB() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
