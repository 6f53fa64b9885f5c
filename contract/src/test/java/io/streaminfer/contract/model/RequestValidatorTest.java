package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestValidatorTest {

    /** A tensor model taking x FP32 [-1, 3] and ids INT64 [-1], giving y FP32 [-1, 2] and z FP32 [-1]. */
    private static ModelConfig tensorModel(int maxBatchSize) {
        return new ModelConfig(ModelKind.TENSOR, null, null, maxBatchSize, "cpu", null, null,
                List.of(new TensorSpec("x", Datatype.FP32, new long[] {-1, 3}),
                        new TensorSpec("ids", Datatype.INT64, new long[] {-1})),
                List.of(new TensorSpec("y", Datatype.FP32, new long[] {-1, 2}),
                        new TensorSpec("z", Datatype.FP32, new long[] {-1})),
                null, null);
    }

    private static ModelConfig textModel() {
        return new ModelConfig(ModelKind.TEXT_EMBEDDING, null, null, 4, null, null, null,
                List.of(new TensorSpec("text", Datatype.BYTES, new long[] {-1})),
                List.of(new TensorSpec("embedding", Datatype.FP32, new long[] {-1, 8})),
                new ModelConfig.TextSettings(null, null, null, null), null);
    }

    /** An FP32 tensor of the given shape, zero-filled. */
    private static Tensor fp32(String name, long... shape) {
        return new Tensor(name, Datatype.FP32, shape, new float[(int) Tensor.elementCount(shape)]);
    }

    /** An INT64 tensor of the given shape, zero-filled. */
    private static Tensor int64(String name, long... shape) {
        return new Tensor(name, Datatype.INT64, shape, new long[(int) Tensor.elementCount(shape)]);
    }

    private static InferenceRequest request(Tensor... inputs) {
        return new InferenceRequest("r", Arrays.asList(inputs));
    }

    private static InferenceRequest requestWithOutputs(List<String> outputs, Tensor... inputs) {
        return new InferenceRequest("r", null, Arrays.asList(inputs),
                outputs.stream().map(n -> new RequestedOutput(n, null)).toList());
    }

    private static String invalid(InferenceRequest request, ModelConfig config) {
        Throwable t = catchThrowable(() -> RequestValidator.validate(request, config));
        assertThat(t).isInstanceOf(InferenceException.class);
        assertThat(((InferenceException) t).code()).isEqualTo(ErrorCode.INVALID_INPUT);
        return t.getMessage();
    }

    @Test
    void validRequestReturnsItsRowCount() {
        assertThat(RequestValidator.validate(request(fp32("x", 5, 3), int64("ids", 5)), tensorModel(32)))
                .isEqualTo(5);
    }

    @Test
    void inputOrderDoesNotMatter() {
        assertThat(RequestValidator.validate(request(int64("ids", 2), fp32("x", 2, 3)), tensorModel(32)))
                .isEqualTo(2);
    }

    @Test
    void rowsEqualToMaxBatchSizeAreAccepted() {
        assertThat(RequestValidator.validate(request(fp32("x", 4, 3), int64("ids", 4)), tensorModel(4)))
                .isEqualTo(4);
    }

    @Test
    void textRequestReturnsTheNumberOfTexts() {
        assertThat(RequestValidator.validate(request(Tensor.ofStrings("text", "a", "b", "c")), textModel()))
                .isEqualTo(3);
    }

    @Test
    void requestedOutputsThatExistAreAccepted() {
        assertThat(RequestValidator.validate(
                requestWithOutputs(List.of("z", "y"), fp32("x", 1, 3), int64("ids", 1)), tensorModel(8)))
                .isEqualTo(1);
    }

    @Test
    void missingInputIsNamedWithItsExpectedTypeAndShape() {
        assertThat(invalid(request(fp32("x", 1, 3)), tensorModel(8)))
                .contains("missing input 'ids'", "INT64", "[-1]");
    }

    @Test
    void unexpectedInputIsNamedWithTheInputsTheModelTakes() {
        assertThat(invalid(request(fp32("x", 1, 3), int64("ids", 1), fp32("extra", 1)), tensorModel(8)))
                .contains("unexpected input 'extra'", "[x, ids]");
    }

    @Test
    void wrongDatatypeNamesExpectedAndActual() {
        assertThat(invalid(request(fp32("x", 1, 3), fp32("ids", 1)), tensorModel(8)))
                .contains("input 'ids' must be INT64, got FP32");
    }

    @Test
    void wrongRankNamesExpectedAndActualShapes() {
        assertThat(invalid(request(fp32("x", 3), int64("ids", 3)), tensorModel(8)))
                .contains("input 'x'", "[-1, 3]", "rank 2", "got [3]");
        assertThat(invalid(request(Tensor.ofFloats("x", new long[] {}, new float[1]), int64("ids", 1)),
                tensorModel(8)))
                .as("a scalar has rank 0").contains("input 'x'", "rank 2", "got []");
    }

    @Test
    void wrongFixedDimensionNamesTheDimension() {
        assertThat(invalid(request(fp32("x", 2, 4), int64("ids", 2)), tensorModel(8)))
                .contains("input 'x' must have shape [-1, 3], got [2, 4]", "dimension 1 must be 3");
    }

    @Test
    void variableDimensionsAcceptAnySize() {
        ModelConfig config = new ModelConfig(ModelKind.TENSOR, null, null, 8, null, null, null,
                List.of(new TensorSpec("m", Datatype.BOOL, new long[] {-1, -1, 2})),
                List.of(new TensorSpec("y", Datatype.FP32, new long[] {-1})), null, null);
        Tensor m = new Tensor("m", Datatype.BOOL, new long[] {2, 7, 2}, new boolean[28]);

        assertThat(RequestValidator.validate(request(m), config)).isEqualTo(2);
    }

    @Test
    void tooManyRowsNamesBothNumbers() {
        assertThat(invalid(request(fp32("x", 5, 3), int64("ids", 5)), tensorModel(4)))
                .contains("5 rows", "max_batch_size is 4");
    }

    @Test
    void zeroRowsAreRefused() {
        assertThat(invalid(request(fp32("x", 0, 3), int64("ids", 0)), tensorModel(4)))
                .contains("input 'x' has no rows");
    }

    @Test
    void inputsMustAgreeOnTheBatchDimension() {
        assertThat(invalid(request(fp32("x", 2, 3), int64("ids", 3)), tensorModel(8)))
                .contains("'x'", "'ids'", "disagree on the batch dimension", "2 vs 3");
    }

    @Test
    void unknownRequestedOutputIsNamedWithTheOutputsTheModelGives() {
        assertThat(invalid(requestWithOutputs(List.of("y", "w"), fp32("x", 1, 3), int64("ids", 1)), tensorModel(8)))
                .contains("unknown output 'w'", "[y, z]");
    }

    @Test
    void textModelRefusesNumbersAndMatrices() {
        assertThat(invalid(request(fp32("text", 2)), textModel())).contains("input 'text' must be BYTES, got FP32");
        assertThat(invalid(request(new Tensor("text", Datatype.BYTES, new long[] {1, 2}, new String[] {"a", "b"})),
                textModel()))
                .contains("input 'text'", "[-1]");
        assertThat(invalid(request(Tensor.ofStrings("text", "a", "b", "c", "d", "e")), textModel()))
                .contains("5 rows", "max_batch_size is 4");
    }
}
