package io.streaminfer.bridge.batch.feed;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.bridge.batch.store.BatchRecord;
import io.streaminfer.bridge.batch.store.LineSplitter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A batch's input checked before any line runs: each problem with its line. */
class InputCheckTest {
    private static List<BatchRecord.Problem> check(String endpoint, String jsonl, int maxLines) {
        InputCheck c = new InputCheck("batch_1", BatchEndpoint.parse(endpoint), TestModels.REPOSITORY,
                new LineTranslator(BatchEndpoint.parse(endpoint), TestModels.REPOSITORY, TestModels.CHECKS), 300,
                maxLines);
        LineSplitter s = new LineSplitter(true, c::line);
        byte[] b = jsonl.getBytes(StandardCharsets.UTF_8);
        s.feed(b, 0, b.length);
        s.finish();
        return c.problems();
    }

    private static String line(String customId, String url, String body) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"" + url + "\",\"body\":" + body
                + "}\n";
    }

    @Test
    void aGoodFileHasNoProblem() {
        assertThat(check("/v1/embeddings", line("a", "/v1/embeddings", "{\"model\":\"nope\",\"input\":\"x\"}")
                + "\n" + line("b", "/v1/embeddings", "{}"), 10)).as("a line's body is the line's own affair")
                .isEmpty();
    }

    @Test
    void everyProblemIsNamedWithItsLine() {
        String in = line("a", "/v1/embeddings", "{}")
                + "{broken\n"
                + line("a", "/v1/embeddings", "{}")
                + line("c", "/v1/completions", "{}")
                + "{\"custom_id\":\"d\",\"method\":\"GET\",\"url\":\"/v1/embeddings\",\"body\":{}}\n"
                + "{\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{}}\n"
                + line("e", "/v1/embeddings", "{\"input\":\"" + "x".repeat(300) + "\"}")
                + "[1]\n";
        List<BatchRecord.Problem> p = check("/v1/embeddings", in, 100);
        assertThat(p).extracting(BatchRecord.Problem::code).containsExactly("invalid_json_line",
                "duplicate_custom_id", "invalid_url", "invalid_method", "missing_required_parameter",
                "request_too_large", "invalid_json_line");
        assertThat(p).extracting(BatchRecord.Problem::line).containsExactly(2, 3, 4, 5, 6, 7, 8);
        assertThat(p.get(1).message()).contains("line 3", "'a'", "line 1");
    }

    @Test
    void anOipBatchChecksTheModelItsUrlsName() {
        List<BatchRecord.Problem> p = check(BatchEndpoint.ANY_MODEL, line("a", "/v2/models/tiny/infer", "{}")
                + line("b", "/v2/models/gone/infer", "{}") + line("c", "/v1/embeddings", "{}"), 10);
        assertThat(p).extracting(BatchRecord.Problem::code).containsExactly("model_not_found", "invalid_url");
        List<BatchRecord.Problem> one = check("/v2/models/tiny/infer", line("a", "/v2/models/tiny/infer", "{}")
                + line("b", "/v2/models/emb/infer", "{}"), 10);
        assertThat(one).extracting(BatchRecord.Problem::line).containsExactly(2);
    }

    @Test
    void anEmptyFileAndTooManyLinesFailTheBatch() {
        assertThat(check("/v1/embeddings", "\n\n", 10)).extracting(BatchRecord.Problem::code)
                .containsExactly("empty_file");
        assertThat(check("/v1/embeddings", line("a", "/v1/embeddings", "{}") + line("b", "/v1/embeddings", "{}"),
                1)).extracting(BatchRecord.Problem::code).containsExactly("too_many_requests");
    }

    @Test
    void aCustomIdThatCollidesWithAnotherLinesPartIsADuplicate() {
        String threeInputs = "{\"model\":\"emb\",\"input\":[\"a\",\"b\",\"c\"]}";
        List<BatchRecord.Problem> p = check("/v1/embeddings", line("x", "/v1/embeddings", threeInputs)
                + line("x#1", "/v1/embeddings", "{}"), 10);
        assertThat(p).extracting(BatchRecord.Problem::code).containsExactly("duplicate_custom_id");
        assertThat(p.get(0).line()).isEqualTo(2);
    }
}
