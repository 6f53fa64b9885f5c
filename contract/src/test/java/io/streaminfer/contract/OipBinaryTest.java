package io.streaminfer.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OipBinaryTest {

    /** One tensor of every datatype, with the edge values of each. */
    static Stream<Arguments> everyDatatype() {
        return Stream.of(
                Arguments.of(new Tensor("b", Datatype.BOOL, new long[] {3}, new boolean[] {true, false, true})),
                Arguments.of(new Tensor("u8", Datatype.UINT8, new long[] {3}, new long[] {0, 7, 255})),
                Arguments.of(new Tensor("u16", Datatype.UINT16, new long[] {2}, new long[] {0, 65_535})),
                Arguments.of(new Tensor("u32", Datatype.UINT32, new long[] {2}, new long[] {1, 4_294_967_295L})),
                Arguments.of(new Tensor("u64", Datatype.UINT64, new long[] {2}, new long[] {0, Long.MAX_VALUE})),
                Arguments.of(new Tensor("i8", Datatype.INT8, new long[] {2}, new long[] {-128, 127})),
                Arguments.of(new Tensor("i16", Datatype.INT16, new long[] {2}, new long[] {-32_768, 32_767})),
                Arguments.of(new Tensor("i32", Datatype.INT32, new long[] {2},
                        new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE})),
                Arguments.of(new Tensor("i64", Datatype.INT64, new long[] {2},
                        new long[] {Long.MIN_VALUE, Long.MAX_VALUE})),
                Arguments.of(new Tensor("f16", Datatype.FP16, new long[] {5},
                        new float[] {0f, -2.5f, 65_504f, 6.1035156e-5f, Float.POSITIVE_INFINITY})),
                Arguments.of(new Tensor("f32", Datatype.FP32, new long[] {2, 2},
                        new float[] {1.5f, -0f, Float.MIN_VALUE, Float.MAX_VALUE})),
                Arguments.of(new Tensor("f64", Datatype.FP64, new long[] {2}, new double[] {Math.PI, -1e300})),
                Arguments.of(new Tensor("s", Datatype.BYTES, new long[] {3}, new String[] {"", "héllo", "日本 🚀"})));
    }

    @ParameterizedTest
    @MethodSource("everyDatatype")
    void requestsRoundTripEveryDatatypeWithTheHeaderLengthOrWithout(Tensor t) {
        InferenceRequest r = new InferenceRequest("r-1", List.of(t));

        OipBinary.Framed framed = OipBinary.writeRequest(r);

        assertThat(framed.isBinary()).isTrue();
        assertThat(framed.body().length - framed.headerLength()).isEqualTo(TensorBytes.byteSize(t));
        assertThat(OipBinary.parseRequest(framed.body(), framed.headerLength())).isEqualTo(r);
        assertThat(OipJson.parseRequest(framed.body())).as("the header ends where its JSON ends").isEqualTo(r);
    }

    @ParameterizedTest
    @MethodSource("everyDatatype")
    void responsesRoundTripEveryDatatype(Tensor t) {
        InferenceResponse r = new InferenceResponse("m", "1", "x", null, List.of(t));

        OipBinary.Framed framed = OipBinary.writeResponse(r, Set.of(t.name()));

        assertThat(OipBinary.parseResponse(framed.body(), framed.headerLength())).isEqualTo(r);
        assertThat(new String(framed.body(), 0, framed.headerLength(), StandardCharsets.UTF_8))
                .contains("\"binary_data_size\":" + TensorBytes.byteSize(t)).doesNotContain("\"data\"");
    }

    @Test
    void tritonsSpecExampleLittleEndianUint32AndOneByteBools() {
        String header = "{\"inputs\":[{\"name\":\"input0\",\"shape\":[2,2],\"datatype\":\"UINT32\",\"parameters\":"
                + "{\"binary_data_size\":16}},{\"name\":\"input1\",\"shape\":[3],\"datatype\":\"BOOL\",\"parameters\":"
                + "{\"binary_data_size\":3}}],\"outputs\":[{\"name\":\"output0\",\"parameters\":{\"binary_data\":true}}]}";
        ByteBuffer data = ByteBuffer.allocate(19).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(1).putInt(2).putInt(3).putInt(-1).put((byte) 1).put((byte) 0).put((byte) 1);
        byte[] body = concat(header.getBytes(StandardCharsets.UTF_8), data.array());

        InferenceRequest r = OipBinary.parseRequest(body, header.length());

        assertThat(r.input("input0").longs()).containsExactly(1, 2, 3, 4_294_967_295L);
        assertThat(r.input("input1").bools()).containsExactly(true, false, true);
        assertThat(r.input("input0").parameters()).as("the framing parameter is not the tensor's").isEmpty();
        assertThat(OipBinary.binaryOutputs(r, List.of("output0", "other"))).containsExactly("output0");
    }

    @Test
    void aHeaderPaddedWithWhitespaceReadsTheSameWithOrWithoutItsLength() {
        String header = "{\"inputs\":[{\"name\":\"b\",\"shape\":[2],\"datatype\":\"FP32\",\"parameters\":"
                + "{\"binary_data_size\":8}}]}   \n";
        byte[] body = concat(header.getBytes(StandardCharsets.UTF_8), floats(32f, 9f));

        assertThat(OipJson.parseRequest(body)).isEqualTo(OipBinary.parseRequest(body, header.length()));
        assertThat(OipJson.parseRequest(body).input("b").floats()).containsExactly(32f, 9f);
    }

    @Test
    void jsonAndBinaryInputsMixInOneRequest() {
        String header = "{\"inputs\":[{\"name\":\"a\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1.5,2.5]},"
                + "{\"name\":\"b\",\"shape\":[2],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":8}}]}";
        byte[] body = concat(header.getBytes(StandardCharsets.UTF_8), floats(3f, 4f));

        InferenceRequest r = OipBinary.parseRequest(body, header.length());

        assertThat(r.input("a").floats()).containsExactly(1.5f, 2.5f);
        assertThat(r.input("b").floats()).containsExactly(3f, 4f);
    }

    @Test
    void aResponseMixesJsonAndBinaryOutputsAsAsked() {
        InferenceResponse r = new InferenceResponse("m", null, null, null, List.of(
                Tensor.ofFloats("logits", new long[] {1, 2}, new float[] {1, 2}),
                new Tensor("label", Datatype.INT64, new long[] {1}, new long[] {1})));

        OipBinary.Framed framed = OipBinary.writeResponse(r, List.of("logits"));

        assertThat(framed.body().length - framed.headerLength()).isEqualTo(8);
        assertThat(new String(framed.body(), 0, framed.headerLength(), StandardCharsets.UTF_8))
                .contains("\"data\":[1]");
        assertThat(OipJson.parseResponse(framed.body())).isEqualTo(r);
        assertThat(OipBinary.writeResponse(r, List.of()).isBinary()).as("nothing asked binary: JSON").isFalse();
    }

    @Nested
    class WhichOutputsAreBinary {
        InferenceRequest request(String json) {
            return OipJson.parseRequest(json.replace('\'', '"'));
        }

        @Test
        void tritonsDefaultClientAsksEveryOutputWithBinaryDataOutput() {
            InferenceRequest r = request("{'parameters':{'binary_data_output':true},'inputs':[{'name':'x',"
                    + "'datatype':'FP32','shape':[1],'data':[1]}]}");
            assertThat(OipBinary.binaryOutputs(r, List.of("logits", "label"))).containsExactly("logits", "label");
            assertThat(OipBinary.wantsBinary(r)).isTrue();
        }

        @Test
        void anOutputsOwnFlagOverridesTheRequestsDefault() {
            InferenceRequest r = request("{'parameters':{'binary_data_output':true},'inputs':[{'name':'x',"
                    + "'datatype':'FP32','shape':[1],'data':[1]}],'outputs':[{'name':'logits','parameters':"
                    + "{'binary_data':false}},{'name':'label'}]}");
            assertThat(OipBinary.binaryOutputs(r, List.of("logits", "label"))).containsExactly("label");
        }

        @Test
        void noneAskedMeansJson() {
            InferenceRequest r = request("{'inputs':[{'name':'x','datatype':'FP32','shape':[1],'data':[1]}]}");
            assertThat(OipBinary.binaryOutputs(r, List.of("logits"))).isEmpty();
            assertThat(OipBinary.wantsBinary(r)).isFalse();
        }

        @Test
        void aFlagThatIsNoBooleanIsInvalid() {
            InferenceRequest r = request("{'parameters':{'binary_data_output':'yes'},'inputs':[{'name':'x',"
                    + "'datatype':'FP32','shape':[1],'data':[1]}]}");
            assertThatThrownBy(() -> OipBinary.binaryOutputs(r, List.of("a")))
                    .isInstanceOf(InferenceException.class).hasMessageContaining("binary_data_output");
        }
    }

    @Nested
    class SizeErrors {
        String header(int declared) {
            return "{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"FP32\",\"parameters\":"
                    + "{\"binary_data_size\":" + declared + "}}]}";
        }

        InferenceException failure(byte[] body, int headerLength) {
            return catchThrowableOfType(InferenceException.class, () -> OipBinary.parseRequest(body, headerLength));
        }

        @Test
        void aSizeThatDisagreesWithShapeAndDatatypeNamesBoth() {
            String h = header(12);
            InferenceException e = failure(concat(bytes(h), new byte[12]), h.length());
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT);
            assertThat(e.getMessage()).contains("input 'x'").contains("12 bytes").contains("FP32").contains("8 bytes");
        }

        @Test
        void aTruncatedBodyIsMalformed() {
            String h = header(8);
            InferenceException e = failure(concat(bytes(h), new byte[5]), h.length());
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(e.getMessage()).contains("truncated").contains("8").contains("5");
        }

        @Test
        void bytesNoTensorClaimsAreMalformed() {
            String h = header(8);
            InferenceException e = failure(concat(bytes(h), new byte[11]), h.length());
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(e.getMessage()).contains("3 bytes").contains("not claimed");
        }

        @Test
        void aHeaderLengthBeyondTheBodyOrInsideTheJsonIsMalformed() {
            String h = header(8);
            byte[] body = concat(bytes(h), new byte[8]);
            assertThat(failure(body, body.length + 1).getMessage()).contains("Inference-Header-Content-Length");
            assertThat(failure(body, h.length() - 3).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(failure(body, 0).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
        }

        @Test
        void binaryDataSizeWithoutBinaryDataSaysToSendTheHeaderLength() {
            String h = header(8);
            InferenceException e = failure(bytes(h), h.length());
            assertThat(e.getMessage()).contains("truncated");
            assertThat(catchThrowableOfType(InferenceException.class, () -> OipJson.parseRequest(h)).code())
                    .isEqualTo(ErrorCode.MALFORMED_REQUEST);
        }

        @Test
        void dataAndBinaryDataSizeTogetherAreMalformed() {
            String h = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1],"
                    + "\"parameters\":{\"binary_data_size\":4}}]}";
            assertThat(failure(concat(bytes(h), new byte[4]), h.length()).getMessage()).contains("both");
        }

        @Test
        void badElementsAreNamed() {
            String bools = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BOOL\",\"parameters\":"
                    + "{\"binary_data_size\":1}}]}";
            assertThat(failure(concat(bytes(bools), new byte[] {2}), bools.length()).getMessage())
                    .contains("0 or 1");
            String text = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BYTES\",\"parameters\":"
                    + "{\"binary_data_size\":6}}]}";
            byte[] notUtf8 = {2, 0, 0, 0, (byte) 0xc3, (byte) 0x28};
            assertThat(failure(concat(bytes(text), notUtf8), text.length()).getMessage()).contains("UTF-8");
            byte[] longer = {9, 0, 0, 0, 'a', 'b'};
            assertThat(failure(concat(bytes(text), longer), text.length()).getMessage()).contains("9 bytes");
        }

        @Test
        void jsonFollowedByUnannouncedBytesIsStillMalformed() {
            String json = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";
            assertThat(catchThrowableOfType(InferenceException.class,
                    () -> OipJson.parseRequest(concat(bytes(json), new byte[] {24, 1}))).code())
                    .isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(OipJson.parseRequest(json + " \n")).isNotNull();
        }
    }

    @Test
    void halfPrecisionRoundsToNearestEven() {
        assertThat(TensorBytes.Half.toFloat(TensorBytes.Half.fromFloat(1.0009766f))).isEqualTo(1.0009766f);
        assertThat(TensorBytes.Half.toFloat(TensorBytes.Half.fromFloat(1.00048828125f))).as("a tie goes to even")
                .isEqualTo(1.0f);
        assertThat(TensorBytes.Half.toFloat(TensorBytes.Half.fromFloat(1e6f))).isInfinite();
        assertThat(TensorBytes.Half.toFloat(TensorBytes.Half.fromFloat(Float.NaN))).isNaN();
        assertThat(TensorBytes.Half.toFloat((short) 0x0001)).isEqualTo(5.9604645e-8f);
        for (int bits = 0; bits < 0x7c00; bits++) {
            short h = (short) bits;
            assertThat(TensorBytes.Half.fromFloat(TensorBytes.Half.toFloat(h))).isEqualTo(h);
        }
    }

    @Test
    void binaryUint64BeyondTheLongRangeIsRefused() {
        String h = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"UINT64\",\"parameters\":"
                + "{\"binary_data_size\":8}}]}";
        byte[] max = {-1, -1, -1, -1, -1, -1, -1, -1};
        assertThatThrownBy(() -> OipBinary.parseRequest(concat(bytes(h), max), h.length()))
                .hasMessageContaining("18446744073709551615");
    }

    @Test
    void jsonResponsesAndErrorsReadAsBefore() {
        InferenceResponse r = new InferenceResponse("m", null, "i", Map.of(), List.of(Tensor.ofStrings("s", "a")));
        assertThat(OipJson.parseResponse(OipJson.writeResponse(r))).isEqualTo(r);
        assertThat(OipJson.isError(OipJson.writeError("i", ErrorCode.INTERNAL, "x"))).isTrue();
        OipBinary.Framed framed = OipBinary.writeResponse(r, Set.of("s"));
        assertThat(OipJson.isError(framed.body())).isFalse();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
