package io.streaminfer.contract;

import static io.streaminfer.contract.Fixtures.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TensorTest {

    @Test
    void rejectsAnArrayOfTheWrongClass() {
        assertThatThrownBy(() -> new Tensor("x", Datatype.FP32, shape(2), new double[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'x'").hasMessageContaining("FP32")
                .hasMessageContaining("float[]").hasMessageContaining("double[]");
    }

    @Test
    void integerTypesMustBeHeldInLongArrays() {
        assertThatThrownBy(() -> new Tensor("x", Datatype.INT32, shape(1), new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("long[]");
    }

    @Test
    void rejectsANonArray() {
        assertThatThrownBy(() -> new Tensor("x", Datatype.BYTES, shape(1), "a"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsACountThatDiffersFromTheShape() {
        InferenceException e = Fixtures.failure(
                () -> new Tensor("x", Datatype.FP32, shape(2, 3), new float[5]));

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT);
        assertThat(e.getMessage()).contains("'x'", "[2, 3]", "6 elements", "holds 5 elements");
    }

    @Test
    void rejectsANegativeDimension() {
        assertThat(Fixtures.failure(() -> new Tensor("x", Datatype.FP32, shape(-1), new float[1])).code())
                .isEqualTo(ErrorCode.INVALID_INPUT);
    }

    @Test
    void rejectsNulls() {
        assertThatThrownBy(() -> new Tensor(null, Datatype.FP32, shape(1), new float[1]))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Tensor("x", null, shape(1), new float[1]))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Tensor("x", Datatype.FP32, null, new float[1]))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Tensor("x", Datatype.FP32, shape(1), null))
                .isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @EnumSource(Datatype.class)
    void everyDatatypeAcceptsItsStorageArray(Datatype datatype) {
        Object data = java.lang.reflect.Array.newInstance(Tensor.arrayClass(datatype).getComponentType(), 3);
        if (datatype == Datatype.BYTES) {
            data = new String[] {"a", "b", "c"};
        }

        Tensor t = new Tensor("x", datatype, shape(3), data);

        assertThat(t.length()).isEqualTo(3);
        assertThat(t.data()).isSameAs(data);
    }

    @Test
    void arrayClassFollowsStorage() {
        assertThat(Tensor.arrayClass(Datatype.BOOL)).isEqualTo(boolean[].class);
        assertThat(Tensor.arrayClass(Datatype.UINT8)).isEqualTo(long[].class);
        assertThat(Tensor.arrayClass(Datatype.INT64)).isEqualTo(long[].class);
        assertThat(Tensor.arrayClass(Datatype.FP16)).isEqualTo(float[].class);
        assertThat(Tensor.arrayClass(Datatype.FP32)).isEqualTo(float[].class);
        assertThat(Tensor.arrayClass(Datatype.FP64)).isEqualTo(double[].class);
        assertThat(Tensor.arrayClass(Datatype.BYTES)).isEqualTo(String[].class);
    }

    @Test
    void rowsIsTheFirstDimensionOrOneForAScalar() {
        assertThat(new Tensor("x", Datatype.FP32, shape(4, 2), new float[8]).rows()).isEqualTo(4);
        assertThat(new Tensor("x", Datatype.FP32, shape(0, 2), new float[0]).rows()).isZero();
        assertThat(new Tensor("x", Datatype.FP32, shape(), new float[1]).rows()).isEqualTo(1);
    }

    @Test
    void elementCountIsTheProductOfTheShape() {
        assertThat(Tensor.elementCount(shape())).isEqualTo(1);
        assertThat(Tensor.elementCount(shape(2, 3, 4))).isEqualTo(24);
        assertThat(Tensor.elementCount(shape(5, 0))).isZero();
        assertThat(Tensor.elementCount(shape(2, -1))).as("negative means unknown").isEqualTo(-1);
    }

    @Test
    void shapeIsCopiedInAndOut() {
        long[] s = shape(2);
        Tensor t = new Tensor("x", Datatype.FP32, s, new float[2]);
        s[0] = 7;
        t.shape()[0] = 9;

        assertThat(t.shape()).containsExactly(2);
        assertThat(t.dim(0)).isEqualTo(2);
        assertThat(t.rank()).isEqualTo(1);
    }

    @Test
    void factoriesBuildBytesAndFp32Tensors() {
        Tensor s = Tensor.ofStrings("t", "a", "b");
        Tensor f = Tensor.ofFloats("f", shape(1, 2), new float[] {1, 2});

        assertThat(s.datatype()).isEqualTo(Datatype.BYTES);
        assertThat(s.shape()).containsExactly(2);
        assertThat(s.strings()).containsExactly("a", "b");
        assertThat(f.datatype()).isEqualTo(Datatype.FP32);
        assertThat(f.floats()).containsExactly(1, 2);
    }

    @Test
    void equalsComparesNameDatatypeShapeDataAndParameters() {
        Tensor a = new Tensor("x", Datatype.FP32, shape(2), new float[] {1, 2}, Map.of("k", "v"));

        assertThat(a).isEqualTo(new Tensor("x", Datatype.FP32, shape(2), new float[] {1, 2}, Map.of("k", "v")))
                .hasSameHashCodeAs(new Tensor("x", Datatype.FP32, shape(2), new float[] {1, 2}, Map.of("k", "v")));
        assertThat(a).isNotEqualTo(new Tensor("y", Datatype.FP32, shape(2), new float[] {1, 2}, Map.of("k", "v")));
        assertThat(a).isNotEqualTo(new Tensor("x", Datatype.FP16, shape(2), new float[] {1, 2}, Map.of("k", "v")));
        assertThat(a).isNotEqualTo(new Tensor("x", Datatype.FP32, shape(1, 2), new float[] {1, 2}, Map.of("k", "v")));
        assertThat(a).isNotEqualTo(new Tensor("x", Datatype.FP32, shape(2), new float[] {1, 3}, Map.of("k", "v")));
        assertThat(a).isNotEqualTo(new Tensor("x", Datatype.FP32, shape(2), new float[] {1, 2}));
        assertThat(a).isNotEqualTo("x");
    }

    @Test
    void equalStringTensorsCompareByContent() {
        assertThat(Tensor.ofStrings("t", "a", "b")).isEqualTo(Tensor.ofStrings("t", new String("a"), "b"));
        assertThat(Tensor.ofStrings("t", "a", "b")).isNotEqualTo(Tensor.ofStrings("t", "b", "a"));
    }

    @Test
    void nullParametersBecomeEmpty() {
        assertThat(new Tensor("x", Datatype.BOOL, shape(1), new boolean[1], null).parameters()).isEmpty();
    }
}
