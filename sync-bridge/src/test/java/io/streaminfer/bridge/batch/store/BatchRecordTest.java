package io.streaminfer.bridge.batch.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchRecordTest {
    private final BatchRecord created = BatchRecord.created("batch_1", "/v1/embeddings", "file-1", "24h", 100,
            86_500, Map.of("project", "x"));

    @Test
    void aCreatedBatchIsOpenAisObjectValidatingWithEveryFieldPresent() {
        ObjectNode o = created.openAi(null, null);
        assertThat(o.get("object").asText()).isEqualTo("batch");
        assertThat(o.get("status").asText()).isEqualTo("validating");
        assertThat(o.get("expires_at").asLong()).isEqualTo(86_500);
        assertThat(o.get("metadata").get("project").asText()).isEqualTo("x");
        for (String f : List.of("errors", "output_file_id", "error_file_id", "in_progress_at", "finalizing_at",
                "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at")) {
            assertThat(o.has(f)).as(f).isTrue();
            assertThat(o.get(f).isNull()).as(f).isTrue();
        }
        assertThat(BatchRecord.fromJson(created.toJson()).openAi(null, null).toString()).isEqualTo(o.toString());
    }

    @Test
    void progressAndACancelShowWhileItRunsNotOnceItEnded() {
        BatchRecord running = created.inProgress(110, 10);
        Progress p = Progress.start(10);
        p.markDone(0, true);
        p.markDone(1, false);
        ObjectNode o = running.openAi(p, 120L);
        assertThat(o.get("status").asText()).isEqualTo("cancelling");
        assertThat(o.get("cancelling_at").asLong()).isEqualTo(120);
        assertThat(o.get("request_counts").get("completed").asInt()).isEqualTo(1);
        assertThat(o.get("request_counts").get("failed").asInt()).isEqualTo(1);

        BatchRecord ended = running.finalizing(130, 120L).ended(BatchStatus.CANCELLED, 131, "file-o", null, 1, 9);
        ObjectNode e = ended.openAi(p, 120L);
        assertThat(e.get("status").asText()).isEqualTo("cancelled");
        assertThat(e.get("cancelled_at").asLong()).isEqualTo(131);
        assertThat(e.get("cancelling_at").asLong()).isEqualTo(120);
        assertThat(e.get("finalizing_at").asLong()).isEqualTo(130);
        assertThat(e.get("request_counts").get("failed").asInt()).as("the stored counts, not the progress")
                .isEqualTo(9);
        assertThat(e.get("output_file_id").asText()).isEqualTo("file-o");
        assertThat(e.get("error_file_id").isNull()).isTrue();
    }

    @Test
    void aFailedValidationListsItsProblemsAndABatchEndsOnlyCompletedCancelledOrExpired() {
        BatchRecord failed = created.failed(105, List.of(new BatchRecord.Problem("duplicate_custom_id", "m",
                "custom_id", 3)));
        ObjectNode o = failed.openAi(null, null);
        assertThat(o.get("status").asText()).isEqualTo("failed");
        assertThat(o.get("failed_at").asLong()).isEqualTo(105);
        assertThat(o.get("errors").get("data").get(0).get("line").asInt()).isEqualTo(3);
        assertThat(failed.status().isFinal()).isTrue();
        assertThatThrownBy(() -> created.ended(BatchStatus.FAILED, 1, null, null, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
