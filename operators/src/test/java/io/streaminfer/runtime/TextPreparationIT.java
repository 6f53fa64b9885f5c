package io.streaminfer.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preparing text requests with the real tokenizer and model: a huge text is tokenized only as far as the model reads
 * it, with the same tokens (and so the same embedding) as the whole text gives; the text itself is not kept; rows of
 * one call run length-sorted in passes within the token budget with the same embeddings as alone; many large texts
 * at once go through prepare and the model without harm; over-long text is refused when the model says so.
 */
class TextPreparationIT {
    static ModelRuntime runtime;
    static ModelReplica replica;
    static HuggingFaceTokenizer whole;
    static List<String> texts;

    @BeforeAll
    static void load() throws IOException {
        runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(TestModels.modelsDir())
                .models(Set.of(TestModels.MINILM)).build());
        replica = runtime.replica(TestModels.MINILM, null);
        // The reference: the same tokenizer reading whole texts, truncating at the model's 256 tokens.
        whole = HuggingFaceTokenizer.builder()
                .optTokenizerPath(TestModels.modelsDir().resolve(TestModels.MINILM).resolve("1")
                        .resolve("tokenizer.json"))
                .optTruncation(true).optPadding(false).optMaxLength(256).build();
        texts = TestModels.realTexts();
    }

    @AfterAll
    static void close() {
        whole.close();
        runtime.close();
    }

    static InferenceRequest text(String id, String... rows) {
        return new InferenceRequest(id, List.of(Tensor.ofStrings("text", rows)));
    }

    /** Real text of at least {@code chars} characters: consecutive texts of the corpus. */
    static String realTextOf(int chars, int from) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; sb.length() < chars; i++) {
            sb.append(texts.get(i % texts.size())).append(' ');
        }
        return sb.toString();
    }

    @Test
    void aHugeTextCostsWhatTheModelReadsAndEmbedsAsTheWholeTextWould() {
        String huge = realTextOf(300_000, 7);
        PreparedRequest p = replica.prepare(text("huge", huge));

        assertThat(p.maxRowCost()).isEqualTo(256);
        assertThat(p.realCost()).isEqualTo(256);
        assertThat(p.request().inputs()).as("the text is not kept once tokenized").isEmpty();
        assertThat(p.bytes()).isLessThan(64 * 1024);
        // The whole text's first 256 tokens come from its first 20,000 characters; the prepared request embeds as
        // those do, so it got the whole text's tokens.
        long[] wholeIds = whole.encode(huge).getIds();
        assertThat(wholeIds).hasSize(256);
        String prefix = huge.substring(0, 20_000);
        assertThat(whole.encode(prefix).getIds()).containsExactly(wholeIds);
        float[] mine = embedding(replica.predictPrepared(List.of(p), 0).get(0));
        float[] ofPrefix = embedding(replica.predictBatch(List.of(text("prefix", prefix))).get(0));
        assertThat(cosine(mine, ofPrefix)).isGreaterThan(0.99999);
    }

    @Test
    void textsWhoseFirstCharactersAreAllWhitespaceAreReadFurtherUntilTheyGiveTheirTokens() {
        String sparse = " ".repeat(10_000) + realTextOf(3_000, 100);
        PreparedRequest p = replica.prepare(text("sparse", sparse));
        long[] wholeIds = whole.encode(sparse).getIds();
        assertThat(p.maxRowCost()).isEqualTo(wholeIds.length).isEqualTo(256);
        assertThat(cosine(embedding(replica.predictPrepared(List.of(p), 0).get(0)),
                embedding(replica.predictBatch(List.of(text("t", sparse.strip()))).get(0)))).isGreaterThan(0.99999);
    }

    @Test
    void everyCorpusTextGetsTheTokenCountOfTheWholeTokenizer() {
        for (int i = 0; i < texts.size(); i += 7) {
            String t = texts.get(i);
            assertThat(replica.prepare(text("t" + i, t)).maxRowCost()).as("text %d", i)
                    .isEqualTo(whole.encode(t).getIds().length);
        }
    }

    @Test
    void rowsRunLengthSortedInPassesWithinTheBudgetAndEmbedAsTheyDoAlone() {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            rows.add(texts.get(i * 13));
        }
        PreparedRequest many = replica.prepare(text("many", rows.toArray(String[]::new)));
        PreparedRequest other = replica.prepare(text("other", texts.get(5), texts.get(6)));
        // A budget of 300 padded tokens forces many passes, one row alone where it is over 300/2.
        List<Prediction> out = replica.predictPrepared(List.of(many, other), 300);

        assertThat(out).allMatch(Prediction::isSuccess);
        float[] all = embedding(out.get(0));
        assertThat(out.get(0).response().outputs().get(0).shape()).containsExactly(40, 384);
        for (int r = 0; r < rows.size(); r += 3) {
            float[] alone = embedding(replica.predictBatch(List.of(text("one", rows.get(r)))).get(0));
            float[] mine = java.util.Arrays.copyOfRange(all, r * 384, (r + 1) * 384);
            assertThat(cosine(mine, alone)).as("row %d", r).isGreaterThan(0.9999);
        }
        assertThat(out.get(1).response().id()).isEqualTo("other");
    }

    @Test
    void manyLargeTextsAtOnceGoThroughPrepareAndTheModel() throws Exception {
        String big = realTextOf(1_000_000, 3);
        float[] reference = embedding(replica.predictBatch(List.of(text("ref", big))).get(0));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < 18; i++) {
                String id = "big-" + i;
                results.add(pool.submit(() -> {
                    PreparedRequest p = replica.prepare(text(id, big, "and a short row"));
                    return embedding(replica.predictPrepared(List.of(p), 0).get(0));
                }));
            }
            for (Future<float[]> f : results) {
                float[] e = f.get();
                assertThat(cosine(java.util.Arrays.copyOfRange(e, 0, 384), reference)).isGreaterThan(0.9999);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aModelThatRefusesOverlongTextSaysWhichRowAndWhatToChange(@TempDir Path tmp) throws IOException {
        Path repo = tmp.resolve("models");
        Path model = repo.resolve("strict-minilm");
        Files.createDirectories(model);
        Path source = TestModels.modelsDir().resolve(TestModels.MINILM);
        Files.writeString(model.resolve("model.yaml"), Files.readString(source.resolve("model.yaml"))
                .replace("  normalize: true", "  normalize: true\n  overflow: refuse"));
        Files.createSymbolicLink(model.resolve("1"), source.resolve("1"));
        try (ModelRuntime strict = ModelRuntime.load(RuntimeOptions.builder().modelsDir(repo).build())) {
            ModelReplica r = strict.replica("strict-minilm", null);
            assertThat(r.prepare(text("ok", texts.get(0))).rows()).isEqualTo(1);
            assertThatThrownBy(() -> r.prepare(text("long", "fits", realTextOf(5_000, 0))))
                    .isInstanceOf(InferenceException.class)
                    .satisfies(e -> assertThat(((InferenceException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT))
                    .hasMessage("input 'text' row 1 is longer than the 256 tokens model strict-minilm:1 reads "
                            + "(text.max_length); shorten it, or set text.overflow: truncate in its model.yaml");
        }
    }

    static float[] embedding(Prediction p) {
        assertThat(p.isSuccess()).as("%s", p).isTrue();
        return (float[]) p.response().outputs().get(0).data();
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
