package io.streaminfer.job.tools.batch;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Set;

/**
 * Follows a batch until it ends, drawing one progress line on stderr: a bar, lines done of the total, failed, the
 * rate (lines a second since the first line was done) and the time left at that rate.
 */
final class BatchWatch {
    private static final Set<String> ENDED = Set.of("completed", "failed", "expired", "cancelled");
    private static final int BAR = 30;

    private final BatchApiClient api;
    private final long pollMs;
    private final PrintWriter err;
    private long firstAtNanos = -1;
    private long firstDone;

    BatchWatch(BatchApiClient api, long pollMs, PrintWriter err) {
        this.api = api;
        this.pollMs = pollMs;
        this.err = err;
    }

    /** The batch once it has ended. */
    JsonNode until(String batchId) throws InterruptedException {
        while (true) {
            JsonNode b = api.batch(batchId);
            String status = b.path("status").asText();
            err.print("\r" + line(b, System.nanoTime()));
            err.flush();
            if (ENDED.contains(status)) {
                err.println();
                return b;
            }
            Thread.sleep(pollMs); // the batch is on the bridge: only asking again tells how it goes
        }
    }

    /** The progress line for the batch as it is at {@code nowNanos}. */
    String line(JsonNode b, long nowNanos) {
        JsonNode c = b.path("request_counts");
        long total = c.path("total").asLong();
        long failed = c.path("failed").asLong();
        long done = c.path("completed").asLong() + failed;
        if (firstAtNanos < 0 && done > 0) {
            firstAtNanos = nowNanos;
            firstDone = done;
        }
        double seconds = firstAtNanos < 0 ? 0 : (nowNanos - firstAtNanos) / 1e9;
        double rate = seconds > 0 ? (done - firstDone) / seconds : 0;
        int filled = total == 0 ? 0 : (int) (BAR * done / total);
        StringBuilder s = new StringBuilder("[").append("#".repeat(filled)).append("-".repeat(BAR - filled))
                .append("] ").append(done).append('/').append(total).append(" done, ").append(failed)
                .append(" failed, ");
        s.append(String.format("%.1f lines/s", rate));
        if (rate > 0 && done < total) {
            s.append(", ").append(duration((long) ((total - done) / rate))).append(" left");
        }
        return s.append("  ").append(b.path("status").asText()).append("   ").toString();
    }

    static String duration(long seconds) {
        return seconds >= 3600 ? String.format("%dh%02dm", seconds / 3600, seconds % 3600 / 60)
                : seconds >= 60 ? String.format("%dm%02ds", seconds / 60, seconds % 60) : seconds + "s";
    }
}
