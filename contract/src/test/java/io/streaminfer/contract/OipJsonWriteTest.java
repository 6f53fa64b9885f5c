package io.streaminfer.contract;

import static io.streaminfer.contract.Fixtures.bytes;
import static io.streaminfer.contract.Fixtures.json;
import static io.streaminfer.contract.Fixtures.shape;
import static io.streaminfer.contract.Fixtures.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OipJsonWriteTest {

    private static JsonNode tree(byte[] json) throws Exception {
        return OipJson.MAPPER.readTree(json);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** One tensor of every datatype, with values at the edges of each type. */
    private static List<Tensor> tensorsOfEveryType() {
        return List.of(
                new Tensor("b", Datatype.BOOL, shape(2), new boolean[] {true, false}),
                new Tensor("u8", Datatype.UINT8, shape(2), new long[] {0, 255}),
                new Tensor("u16", Datatype.UINT16, shape(1), new long[] {65_535}),
                new Tensor("u32", Datatype.UINT32, shape(1), new long[] {4_294_967_295L}),
                new Tensor("u64", Datatype.UINT64, shape(1), new long[] {Long.MAX_VALUE}),
                new Tensor("i8", Datatype.INT8, shape(2), new long[] {-128, 127}),
                new Tensor("i16", Datatype.INT16, shape(1), new long[] {-32_768}),
                new Tensor("i32", Datatype.INT32, shape(2), new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE}),
                new Tensor("i64", Datatype.INT64, shape(2), new long[] {Long.MIN_VALUE, Long.MAX_VALUE}),
                new Tensor("f16", Datatype.FP16, shape(1), new float[] {0.5f}),
                new Tensor("f32", Datatype.FP32, shape(2, 3),
                        new float[] {0.1f, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, -1e-7f, 3.4f},
                        Map.of("note", "fp32")),
                new Tensor("f64", Datatype.FP64, shape(2), new double[] {0.1, Double.MAX_VALUE}),
                new Tensor("s", Datatype.BYTES, shape(3), new String[] {"", "quote\" and \\ and \n", "日本語 ✓"}),
                new Tensor("scalar", Datatype.FP32, shape(), new float[] {42f}));
    }

    @Nested
    class Requests {
        @Test
        void fullRequestRoundTrips() {
            InferenceRequest original = new InferenceRequest("id-1",
                    Map.of("priority", 3, "flag", true, "name", "n", "nested", Map.of("k", List.of(1, 2))),
                    tensorsOfEveryType(),
                    List.of(new RequestedOutput("y", Map.of("binary_data", false)), new RequestedOutput("z", null)));

            InferenceRequest back = OipJson.parseRequest(OipJson.writeRequest(original));

            assertThat(back).isEqualTo(original);
            assertThat(back.input("f32").floats()).containsExactly(original.input("f32").floats());
        }

        @Test
        void minimalRequestRoundTripsAndOmitsAbsentFields() throws Exception {
            InferenceRequest original = new InferenceRequest(null, List.of(Tensor.ofStrings("text", "a", "b")));

            byte[] written = OipJson.writeRequest(original);

            assertThat(fieldNames(tree(written))).containsExactly("inputs");
            assertThat(OipJson.parseRequest(written)).isEqualTo(original);
        }

        @Test
        void writtenTensorHasOipFieldNames() throws Exception {
            InferenceRequest r = new InferenceRequest("i",
                    List.of(new Tensor("x", Datatype.INT32, shape(1, 2), new long[] {1, 2}, Map.of("p", 1))));

            JsonNode t = tree(OipJson.writeRequest(r)).get("inputs").get(0);

            assertThat(fieldNames(t)).containsExactlyInAnyOrder("name", "datatype", "shape", "parameters", "data");
            assertThat(t.get("datatype").asText()).isEqualTo("INT32");
            assertThat(t.get("shape").toString()).isEqualTo("[1,2]");
            assertThat(t.get("data").toString()).as("data is written flat").isEqualTo("[1,2]");
        }
    }

    @Nested
    class Responses {
        private InferenceResponse response() {
            return new InferenceResponse("minilm", "3", "req-9", Map.of("took_ms", 12),
                    List.of(Tensor.ofFloats("embedding", shape(2, 2), new float[] {0.25f, -0.5f, 1f, 0f})));
        }

        @Test
        void responseRoundTrips() {
            InferenceResponse original = response();

            assertThat(OipJson.parseResponse(OipJson.writeResponse(original))).isEqualTo(original);
        }

        @Test
        void responseOfEveryDatatypeRoundTrips() {
            InferenceResponse original = new InferenceResponse("m", null, null, null, tensorsOfEveryType());

            assertThat(OipJson.parseResponse(OipJson.writeResponse(original))).isEqualTo(original);
        }

        @Test
        void responseUsesOipFieldNames() throws Exception {
            JsonNode root = tree(OipJson.writeResponse(response()));

            assertThat(fieldNames(root))
                    .containsExactly("model_name", "model_version", "id", "parameters", "outputs");
            assertThat(root.get("model_name").asText()).isEqualTo("minilm");
            assertThat(root.get("model_version").asText()).isEqualTo("3");
            assertThat(root.get("id").asText()).isEqualTo("req-9");
            assertThat(root.get("outputs").get(0).get("name").asText()).isEqualTo("embedding");
        }

        @Test
        void responseOmitsNullVersionIdAndEmptyParameters() throws Exception {
            InferenceResponse r = new InferenceResponse("m", null, null, null, List.of(Tensor.ofStrings("o", "v")));

            assertThat(fieldNames(tree(OipJson.writeResponse(r)))).containsExactly("model_name", "outputs");
        }

        @Test
        void responseWithoutOutputsWritesAnEmptyArray() throws Exception {
            InferenceResponse r = new InferenceResponse("m", "1", "i", null, List.of());

            assertThat(tree(OipJson.writeResponse(r)).get("outputs").isArray()).isTrue();
            assertThat(OipJson.parseResponse(OipJson.writeResponse(r)).outputs()).isEmpty();
        }

        @Test
        void parsingAnErrorAsAResponseFailsWithTheErrorText() {
            byte[] error = OipJson.writeError("i", ErrorCode.TIMEOUT, "too slow");

            assertThatThrownBy(() -> OipJson.parseResponse(error))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("too slow");
        }

        @Test
        void responseWithoutModelNameIsMalformed() {
            InferenceException e = Fixtures.failure(() -> OipJson.parseResponse(bytes(json("{'outputs':[]}"))));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(e.getMessage()).contains("model_name");
        }

        @Test
        void responseWithoutOutputsIsMalformed() {
            InferenceException e = Fixtures.failure(() -> OipJson.parseResponse(bytes(json("{'model_name':'m'}"))));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(e.getMessage()).contains("'outputs'");
        }

        @Test
        void responseOutputErrorsNameTheOutput() {
            String body = json("{'model_name':'m','outputs':[{'name':'y','datatype':'FP32','shape':[2],'data':[1]}]}");

            assertThat(Fixtures.failure(() -> OipJson.parseResponse(bytes(body))).getMessage())
                    .contains("output 'y'");
        }
        @Test
        void responseWithNonFiniteFloatsRoundTrips() {
            InferenceResponse r = new InferenceResponse("m", null, null, null,
                    List.of(Tensor.ofFloats("y", shape(2), new float[] {Float.NaN, Float.POSITIVE_INFINITY})));

            assertThat(OipJson.parseResponse(OipJson.writeResponse(r))).isEqualTo(r);
        }
    }

    @Nested
    class Errors {
        @Test
        void errorBodyHasErrorIdAndCode() throws Exception {
            JsonNode root = tree(OipJson.writeError("req-1", ErrorCode.INVALID_INPUT, "bad \"x\""));

            assertThat(fieldNames(root)).containsExactly("error", "id", "code");
            assertThat(root.get("error").asText()).isEqualTo("bad \"x\"");
            assertThat(root.get("id").asText()).isEqualTo("req-1");
            assertThat(root.get("code").asText()).isEqualTo("INVALID_INPUT");
        }

        @Test
        void errorBodyOmitsNullIdAndCode() throws Exception {
            assertThat(fieldNames(tree(OipJson.writeError(null, null, "boom")))).containsExactly("error");
        }

        @ParameterizedTest
        @EnumSource(ErrorCode.class)
        void codeIsWrittenAsTheEnumName(ErrorCode code) throws Exception {
            assertThat(tree(OipJson.writeError("i", code, "m")).get("code").asText()).isEqualTo(code.name());
        }

        @Test
        void isErrorDetectsErrorsAndNotResponses() {
            assertThat(OipJson.isError(OipJson.writeError("i", ErrorCode.INTERNAL, "x"))).isTrue();
            assertThat(OipJson.isError(OipJson.writeError(null, null, "x"))).isTrue();
            assertThat(OipJson.isError(OipJson.writeResponse(
                    new InferenceResponse("m", null, "i", null, List.of())))).isFalse();
            assertThat(OipJson.isError(bytes("[{\"error\":\"x\"}]"))).as("not an object").isFalse();
            assertThat(OipJson.isError(bytes("{\"errors\":\"x\"}"))).isFalse();
        }

        @Test
        void isErrorOnMalformedJsonThrowsMalformed() {
            assertThat(Fixtures.failure(() -> OipJson.isError(bytes("{"))).code())
                    .isEqualTo(ErrorCode.MALFORMED_REQUEST);
        }

        @Test
        void writtenErrorIsValidJsonText() {
            String written = text(OipJson.writeError("a", ErrorCode.OVERLOADED, "line1\nline2"));

            assertThat(written).isEqualTo("{\"error\":\"line1\\nline2\",\"id\":\"a\",\"code\":\"OVERLOADED\"}");
        }
    }
}
