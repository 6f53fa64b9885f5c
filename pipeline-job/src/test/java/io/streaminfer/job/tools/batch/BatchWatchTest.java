package io.streaminfer.job.tools.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.OipJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BatchWatchTest {
    private static final long S = 1_000_000_000L;

    private static JsonNode batch(String status, long total, long completed, long failed) {
        return OipJson.MAPPER.createObjectNode().put("status", status).set("request_counts",
                OipJson.MAPPER.createObjectNode().put("total", total).put("completed", completed)
                        .put("failed", failed));
    }

    @Test
    void theLineShowsDoneFailedTheRateSinceTheFirstLineAndTheTimeLeft() {
        BatchWatch w = new BatchWatch(null, 1000, new PrintWriter(new StringWriter()));
        assertThat(w.line(batch("validating", 0, 0, 0), 0)).contains("0/0 done, 0 failed, 0.0 lines/s  validating");
        assertThat(w.line(batch("in_progress", 1000, 90, 10), 5 * S)).startsWith("[###---")
                .contains("100/1000 done, 10 failed");
        String later = w.line(batch("in_progress", 1000, 280, 20), 7 * S); // 200 lines in 2 s since the first
        assertThat(later).contains("100.0 lines/s").contains("7s left").endsWith("in_progress   ");
        String end = w.line(batch("completed", 1000, 970, 30), 14 * S);
        assertThat(end).startsWith("[" + "#".repeat(30) + "]").doesNotContain("left");
    }

    @Test
    void durationsReadAsSecondsMinutesOrHours() {
        assertThat(BatchWatch.duration(42)).isEqualTo("42s");
        assertThat(BatchWatch.duration(125)).isEqualTo("2m05s");
        assertThat(BatchWatch.duration(7260)).isEqualTo("2h01m");
    }
}
