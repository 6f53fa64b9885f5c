package io.streaminfer.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proof that the default model is right: our TorchScript export, run by DJL/libtorch, against langchain4j's
 * ONNX Runtime model (the same weights, another engine), sentence by sentence and in padded batches.
 */
class TextEmbeddingParityIT {
    static final List<String> SENTENCES = List.of(
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "A monkey is playing drums.",
            "The new movie is awesome",
            "The cat sits outside",
            "A man is playing guitar",
            "I love pasta",
            "Do you like pizza?",
            "Hi",
            "?",
            "Flink checkpoints keep operator state consistent across failures.",
            "Kafka partitions are ordered, append-only logs replicated across brokers.",
            "Der schnelle braune Fuchs springt über den faulen Hund.",
            "Le chat dort sur le canapé depuis ce matin.",
            "東京は日本の首都です。",
            "Emoji are tokens too 🚀🔥 and so is punctuation!!!",
            "1234567890 3.14159 2026-11-27T18:37:26Z",
            "UPPER CASE AND lower case should embed the same for an uncased model",
            "   leading and trailing spaces   ",
            // Long, but under 128 tokens: past that, langchain4j treats long texts its own way while we truncate at
            // sentence-transformers' 256, so the two differ there by design (see textBeyondMaxLength... below).
            "A very long sentence that goes on and on, repeating itself, ".repeat(7).trim(),
            "The quick brown fox jumps over the lazy dog.",
            "What is the capital of France? Paris is the capital of France.",
            "GPU micro-batching amortises kernel launch overhead across many requests.");

    static ModelRuntime runtime;
    static AllMiniLmL6V2EmbeddingModel reference;

    @BeforeAll
    static void load() {
        runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(TestModels.modelsDir())
                .models(Set.of(TestModels.MINILM)).build());
        reference = new AllMiniLmL6V2EmbeddingModel();
    }

    @AfterAll
    static void close() {
        runtime.close();
    }

    @Test
    void singleSentencesMatchOnnxRuntime() {
        assertThat(SENTENCES).hasSizeGreaterThanOrEqualTo(20);
        ModelReplica replica = runtime.replica(TestModels.MINILM, null);
        for (String s : SENTENCES) {
            Prediction p = replica.predictBatch(List.of(request("one", s))).get(0);
            assertThat(p.isSuccess()).as("%s: %s", s, p).isTrue();
            float[] ours = p.response().outputs().get(0).floats();
            assertThat(ours).hasSize(384);
            assertThat(cosine(ours, reference.embed(s).content().vector())).as("cosine for '%s'", s)
                    .isGreaterThanOrEqualTo(0.999);
            assertThat(norm(ours)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void paddedBatchesAndMultiRowRequestsMatchOnnxRuntime() {
        ModelReplica replica = runtime.replica(TestModels.MINILM, null);
        // One multi-row request plus single-row ones in one batch: rows of different lengths share a padded call.
        List<InferenceRequest> batch = new ArrayList<>();
        batch.add(new InferenceRequest("multi", List.of(Tensor.ofStrings("text",
                SENTENCES.subList(0, 5).toArray(new String[0])))));
        for (int i = 5; i < SENTENCES.size(); i++) {
            batch.add(request("r" + i, SENTENCES.get(i)));
        }
        List<Prediction> out = replica.predictBatch(batch);
        assertThat(out).hasSize(batch.size()).allMatch(Prediction::isSuccess);

        Tensor multi = out.get(0).response().output("embedding");
        assertThat(multi.shape()).containsExactly(5, 384);
        for (int row = 0; row < 5; row++) {
            float[] mine = java.util.Arrays.copyOfRange(multi.floats(), row * 384, (row + 1) * 384);
            assertThat(cosine(mine, reference.embed(SENTENCES.get(row)).content().vector())).isGreaterThanOrEqualTo(0.999);
        }
        for (int i = 5; i < SENTENCES.size(); i++) {
            Prediction p = out.get(i - 4);
            assertThat(p.response().id()).isEqualTo("r" + i);
            assertThat(cosine(p.response().outputs().get(0).floats(),
                    reference.embed(SENTENCES.get(i)).content().vector())).isGreaterThanOrEqualTo(0.999);
        }
    }

    @Test
    void similarSentencesAreCloserThanUnrelatedOnes() {
        ModelReplica replica = runtime.replica(TestModels.MINILM, null);
        List<Prediction> out = replica.predictBatch(List.of(
                request("a", "A man is eating food."),
                request("b", "A man is eating a piece of bread."),
                request("c", "A monkey is playing drums.")));
        float[] a = out.get(0).response().outputs().get(0).floats();
        float[] b = out.get(1).response().outputs().get(0).floats();
        float[] c = out.get(2).response().outputs().get(0).floats();
        assertThat(cosine(a, b)).isCloseTo(0.7553, org.assertj.core.data.Offset.offset(0.01));
        assertThat(cosine(a, c)).isLessThan(0.2);
    }

    @Test
    void textBeyondMaxLengthIsTruncatedNotRefused() {
        String words = "streaming inference on flink with micro batches ";
        String longText = words.repeat(60); // ~480 tokens, more than max_length 256
        List<Prediction> out = runtime.replica(TestModels.MINILM, null).predictBatch(List.of(
                request("long", longText), request("longer", longText + "and a tail that must be cut off")));
        assertThat(out).allMatch(Prediction::isSuccess);
        assertThat(cosine(out.get(0).response().outputs().get(0).floats(),
                out.get(1).response().outputs().get(0).floats())).isGreaterThan(0.99999);
    }

    @Test
    void emptyTextIsEmbeddedNotRefused() {
        // langchain4j refuses "", so there is no reference; [CLS] [SEP] alone still gives a unit vector.
        Prediction p = runtime.predict(TestModels.MINILM, null, request("empty", ""));
        assertThat(p.isSuccess()).isTrue();
        assertThat(norm(p.response().outputs().get(0).floats())).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void responseCarriesModelNameVersionAndId() {
        Prediction p = runtime.predict(TestModels.MINILM, "1", request("id-42", "hello"));
        assertThat(p.response().modelName()).isEqualTo(TestModels.MINILM);
        assertThat(p.response().modelVersion()).isEqualTo("1");
        assertThat(p.response().id()).isEqualTo("id-42");
        assertThat(p.response().outputs().get(0).name()).isEqualTo("embedding");
    }

    static InferenceRequest request(String id, String text) {
        return new InferenceRequest(id, List.of(Tensor.ofStrings("text", text)));
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static double norm(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }
}
