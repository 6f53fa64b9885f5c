package io.streaminfer.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tensor kind on the tiny-mlp TorchScript module, against the outputs PyTorch gave at export. */
class TensorModelIT {
    static ModelRuntime runtime;
    static ModelReplica replica;

    @BeforeAll
    static void load() {
        runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(TestModels.modelsDir())
                .models(Set.of(TestModels.TINY_MLP)).build());
        replica = runtime.replica(TestModels.TINY_MLP, null);
    }

    @AfterAll
    static void close() {
        runtime.close();
    }

    @Test
    void matchesPyTorchReferenceOutputsOneByOneAndInOneBatch() throws IOException {
        JsonNode cases = OipJson.MAPPER.readTree(
                TestModels.modelsDir().resolve(Path.of(TestModels.TINY_MLP, "1", "reference.json")).toFile())
                .get("cases");
        List<InferenceRequest> all = new ArrayList<>();
        for (int c = 0; c < cases.size(); c++) {
            all.add(new InferenceRequest("case-" + c, List.of(features(cases.get(c).get("features")))));
        }
        List<Prediction> batched = replica.predictBatch(all);
        for (int c = 0; c < cases.size(); c++) {
            Prediction single = replica.predictBatch(List.of(all.get(c))).get(0);
            for (Prediction p : List.of(single, batched.get(c))) {
                assertThat(p.isSuccess()).as("%s", p).isTrue();
                assertThat(p.response().id()).isEqualTo("case-" + c);
                Tensor logits = p.response().output("logits");
                Tensor label = p.response().output("label");
                float[] expected = flatFloats(cases.get(c).get("logits"));
                assertThat(logits.datatype()).isEqualTo(Datatype.FP32);
                assertThat(logits.shape()).containsExactly(expected.length / 3, 3);
                assertThat(logits.floats()).containsExactly(expected, Offset.offset(1e-5f));
                assertThat(label.datatype()).isEqualTo(Datatype.INT64);
                long[] expectedLabels = new long[cases.get(c).get("label").size()];
                for (int i = 0; i < expectedLabels.length; i++) {
                    expectedLabels[i] = cases.get(c).get("label").get(i).asLong();
                }
                assertThat(label.longs()).containsExactly(expectedLabels);
            }
        }
    }

    @Test
    void poisonousRequestFailsWithTheModelsMessage() {
        Prediction p = replica.predictBatch(List.of(new InferenceRequest("bad", List.of(
                Tensor.ofFloats("features", new long[] {1, 4}, new float[] {1, 2, -5000, 4}))))).get(0);
        assertThat(p.isSuccess()).isFalse();
        assertThat(p.errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(p.error()).contains("poison");
    }

    @Test
    void invalidRequestsFailAloneAndValidOnesInTheSameBatchSucceed() {
        InferenceRequest good = new InferenceRequest("good", List.of(
                Tensor.ofFloats("features", new long[] {2, 4}, new float[] {1, 2, 3, 4, 5, 6, 7, 8})));
        InferenceRequest wrongShape = new InferenceRequest("shape", List.of(
                Tensor.ofFloats("features", new long[] {1, 3}, new float[] {1, 2, 3})));
        InferenceRequest wrongType = new InferenceRequest("type", List.of(
                new Tensor("features", Datatype.INT64, new long[] {1, 4}, new long[] {1, 2, 3, 4})));
        InferenceRequest wrongName = new InferenceRequest("name", List.of(
                Tensor.ofFloats("x", new long[] {1, 4}, new float[] {1, 2, 3, 4})));
        List<Prediction> out = replica.predictBatch(List.of(wrongShape, good, wrongType, wrongName));
        assertThat(out.get(1).isSuccess()).isTrue();
        assertThat(out.get(1).response().output("logits").shape()).containsExactly(2, 3);
        assertThat(out.get(0).errorCode()).isEqualTo(ErrorCode.INVALID_INPUT);
        assertThat(out.get(0).error()).contains("features").contains("[-1, 4]").contains("[1, 3]");
        assertThat(out.get(2).error()).contains("must be FP32, got INT64");
        assertThat(out.get(3).error()).contains("unexpected input 'x'");
    }

    @Test
    void requestedOutputsAreTheOnlyOnesReturned() {
        InferenceRequest r = new InferenceRequest("only-label", null, List.of(
                Tensor.ofFloats("features", new long[] {1, 4}, new float[] {1, 2, 3, 4})),
                List.of(new RequestedOutput("label", null)));
        Prediction p = replica.predictBatch(List.of(r)).get(0);
        assertThat(p.response().outputs()).extracting(Tensor::name).containsExactly("label");
    }

    @Test
    void batchesLargerThanMaxBatchSizeAreSplitNotRefused() {
        List<InferenceRequest> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) { // max_batch_size is 64 rows
            many.add(new InferenceRequest("r" + i, List.of(
                    Tensor.ofFloats("features", new long[] {1, 4}, new float[] {i, 0, 0, 0}))));
        }
        List<Prediction> out = replica.predictBatch(many);
        assertThat(out).hasSize(100).allMatch(Prediction::isSuccess);
        assertThat(out.get(99).response().id()).isEqualTo("r99");
    }

    @Test
    void unknownModelAndVersionAreNamed() {
        assertThatThrownBy(() -> runtime.replica("nope", null)).hasMessageContaining("unknown model 'nope'");
        assertThatThrownBy(() -> runtime.replica(TestModels.TINY_MLP, "7")).hasMessageContaining("no version '7'");
    }

    private static Tensor features(JsonNode rows) {
        float[] flat = flatFloats(rows);
        return Tensor.ofFloats("features", new long[] {rows.size(), 4}, flat);
    }

    private static float[] flatFloats(JsonNode rows) {
        int cols = rows.get(0).size();
        float[] flat = new float[rows.size() * cols];
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < cols; c++) {
                flat[r * cols + c] = (float) rows.get(r).get(c).asDouble();
            }
        }
        return flat;
    }
}
