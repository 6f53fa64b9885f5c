package io.streaminfer.contract;

import static io.streaminfer.contract.Fixtures.input;
import static io.streaminfer.contract.Fixtures.json;
import static io.streaminfer.contract.Fixtures.parseFailure;
import static io.streaminfer.contract.Fixtures.request;
import static io.streaminfer.contract.Fixtures.request1;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class OipJsonParseRequestTest {

    @Nested
    class ValidRequests {
        @Test
        void parsesEveryPartOfAFullRequest() {
            String body = json("{'id':'req-1',"
                    + "'parameters':{'priority':2,'callback_url':'http://cb','nested':{'a':[1,2]},'gone':null},"
                    + "'inputs':["
                    + "{'name':'text','datatype':'BYTES','shape':[2],'data':['hello','wörld']},"
                    + "{'name':'vec','datatype':'FP32','shape':[2,3],'data':[1,2.5,-3,4,5,6.25],"
                    + "  'parameters':{'content_type':'fp'}},"
                    + "{'name':'ids','datatype':'INT64','shape':[3],'data':[9223372036854775807,-9223372036854775808,0]},"
                    + "{'name':'mask','datatype':'BOOL','shape':[1,2],'data':[[true,false]]}],"
                    + "'outputs':[{'name':'embedding','parameters':{'binary_data':false}},{'name':'other'}]}");

            InferenceRequest r = OipJson.parseRequest(body);

            assertThat(r.id()).isEqualTo("req-1");
            assertThat(r.parameters())
                    .containsEntry("priority", 2)
                    .containsEntry("callback_url", "http://cb")
                    .containsEntry("nested", Map.of("a", List.of(1, 2)))
                    .as("a null parameter means not set").doesNotContainKey("gone");
            assertThat(r.inputs()).extracting(Tensor::name).containsExactly("text", "vec", "ids", "mask");

            Tensor text = r.input("text");
            assertThat(text.datatype()).isEqualTo(Datatype.BYTES);
            assertThat(text.shape()).containsExactly(2);
            assertThat(text.strings()).containsExactly("hello", "wörld");

            Tensor vec = r.input("vec");
            assertThat(vec.datatype()).isEqualTo(Datatype.FP32);
            assertThat(vec.shape()).containsExactly(2, 3);
            assertThat(vec.floats()).containsExactly(1f, 2.5f, -3f, 4f, 5f, 6.25f);
            assertThat(vec.parameters()).containsExactly(Map.entry("content_type", "fp"));

            Tensor ids = r.input("ids");
            assertThat(ids.datatype()).isEqualTo(Datatype.INT64);
            assertThat(ids.longs()).containsExactly(Long.MAX_VALUE, Long.MIN_VALUE, 0L);

            Tensor mask = r.input("mask");
            assertThat(mask.datatype()).isEqualTo(Datatype.BOOL);
            assertThat(mask.shape()).containsExactly(1, 2);
            assertThat(mask.bools()).containsExactly(true, false);

            assertThat(r.outputs()).containsExactly(
                    new RequestedOutput("embedding", Map.of("binary_data", false)),
                    new RequestedOutput("other", null));
            assertThat(r.rows()).isEqualTo(2);
        }

        @Test
        void nestedDataIsFlattenedRowMajor() {
            InferenceRequest r = OipJson.parseRequest(request1("FP32", "[2,2,2]", "[[[1,2],[3,4]],[[5,6],[7,8]]]"));

            assertThat(r.input("x").floats()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        }

        @Test
        void flatAndNestedDataGiveEqualTensors() {
            Tensor flat = OipJson.parseRequest(request1("FP32", "[2,3]", "[1,2,3,4,5,6]")).input("x");
            Tensor nested = OipJson.parseRequest(request1("FP32", "[2,3]", "[[1,2,3],[4,5,6]]")).input("x");

            assertThat(nested).isEqualTo(flat);
        }

        @Test
        void requestWithoutIdParametersOrOutputsHasEmptyDefaults() {
            InferenceRequest r = OipJson.parseRequest(request1("INT32", "[1]", "[7]"));

            assertThat(r.id()).isNull();
            assertThat(r.parameters()).isEmpty();
            assertThat(r.outputs()).as("empty means all outputs").isEmpty();
            assertThat(r.input("x").longs()).containsExactly(7L);
        }

        @Test
        void scalarTensorMayCarryItsElementBare() {
            Tensor t = OipJson.parseRequest(request1("FP64", "[]", "2.5")).input("x");

            assertThat(t.rank()).isZero();
            assertThat(t.rows()).isEqualTo(1);
            assertThat(t.doubles()).containsExactly(2.5);
        }

        @Test
        void zeroSizedShapeWithEmptyDataIsAccepted() {
            Tensor t = OipJson.parseRequest(request1("FP32", "[0,4]", "[]")).input("x");

            assertThat(t.length()).isZero();
            assertThat(t.rows()).isZero();
        }

        @Test
        void integersAreAcceptedInFloatTensors() {
            assertThat(OipJson.parseRequest(request1("FP16", "[2]", "[1,-2]")).input("x").floats())
                    .containsExactly(1f, -2f);
        }

        @Test
        void integerBoundsOfEachWidthAreAccepted() {
            assertThat(OipJson.parseRequest(request1("INT8", "[2]", "[-128,127]")).input("x").longs())
                    .containsExactly(-128, 127);
            assertThat(OipJson.parseRequest(request1("UINT8", "[2]", "[0,255]")).input("x").longs())
                    .containsExactly(0, 255);
            assertThat(OipJson.parseRequest(request1("UINT32", "[1]", "[4294967295]")).input("x").longs())
                    .containsExactly(4_294_967_295L);
        }

        @Test
        void byteArrayAndStringOverloadsAgree() {
            String body = request1("BYTES", "[1]", "[\"a\"]");

            assertThat(OipJson.parseRequest(Fixtures.bytes(body))).isEqualTo(OipJson.parseRequest(body));
        }
    }

    @Nested
    class BodyErrors {
        @Test
        void malformedJsonIsReportedWithLineAndColumn() {
            InferenceException e = parseFailure("{\n  \"inputs\": [\n    {\"name\": \"x\",, }\n  ]\n}");

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(e.getMessage()).startsWith("malformed JSON").contains("line 3").contains("column");
        }

        @Test
        void truncatedJsonIsMalformed() {
            InferenceException e = parseFailure("{\"inputs\": [");

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(e.getMessage()).contains("line 1").contains("column");
        }

        @Test
        void malformedJsonMessageDoesNotLeakTheSource() {
            InferenceException e = parseFailure("{\"inputs\": nope}");

            assertThat(e.getMessage()).doesNotContain("Source:");
        }

        @ParameterizedTest
        @ValueSource(strings = {"[1,2]", "\"text\"", "42", "null", "true"})
        void nonObjectBodyIsMalformed(String body) {
            InferenceException e = parseFailure(body);

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(e.getMessage()).contains("expected a JSON object for the inference request");
        }

        @Test
        void arrayBodyNamesWhatCame() {
            assertThat(parseFailure("[]").getMessage()).endsWith("got array");
        }

        @Test
        void emptyBodyIsMalformed() {
            InferenceException e = Fixtures.failure(() -> OipJson.parseRequest(new byte[0]));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
            assertThat(e.getMessage()).contains("empty body");
        }

        @Test
        void nullBodyIsMalformed() {
            assertThat(Fixtures.failure(() -> OipJson.parseRequest((byte[]) null)).code())
                    .isEqualTo(ErrorCode.MALFORMED_REQUEST);
        }

        @Test
        void whitespaceOnlyBodyIsMalformed() {
            assertThat(parseFailure("   \n ").code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
        }

        @Test
        void deeplyNestedJsonIsRefusedAsMalformed() {
            String deep = "[".repeat(100) + "]".repeat(100);
            InferenceException e = parseFailure(request1("FP32", "[0]", deep));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
        }

        @Test
        void dataNestedBeyond32LevelsIsInvalidInput() {
            String deep = "[".repeat(40) + "1" + "]".repeat(40);
            InferenceException e = parseFailure(request1("FP32", "[1]", deep));

            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT);
            assertThat(e.getMessage()).contains("nested more than 32 levels");
        }
        @Test
        void trailingContentAfterTheObjectIsMalformed() {
            String body = request1("FP32", "[1]", "[1]") + " {\"inputs\": []}";

            assertThat(parseFailure(body).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
        }
    }

    @Nested
    class StructureErrors {
        static Stream<Arguments> cases() {
            return Stream.of(
                    // body structure: MALFORMED_REQUEST
                    Arguments.of("no inputs", json("{'id':'a'}"), ErrorCode.MALFORMED_REQUEST,
                            List.of("request has no 'inputs'")),
                    Arguments.of("null inputs", json("{'inputs':null}"), ErrorCode.MALFORMED_REQUEST,
                            List.of("request has no 'inputs'")),
                    Arguments.of("empty inputs", json("{'inputs':[]}"), ErrorCode.MALFORMED_REQUEST,
                            List.of("'inputs' must be a non-empty array")),
                    Arguments.of("inputs not an array", json("{'inputs':{'name':'x'}}"), ErrorCode.MALFORMED_REQUEST,
                            List.of("'inputs' must be a non-empty array")),
                    Arguments.of("input not an object", json("{'inputs':[5]}"), ErrorCode.MALFORMED_REQUEST,
                            List.of("inputs[0] must be an object")),
                    Arguments.of("input without name",
                            json("{'inputs':[{'datatype':'FP32','shape':[1],'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("inputs[0] has no 'name'")),
                    Arguments.of("second input without name",
                            json("{'inputs':[{'name':'a','datatype':'FP32','shape':[1],'data':[1]},"
                                    + "{'datatype':'FP32','shape':[1],'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("inputs[1] has no 'name'")),
                    Arguments.of("name not a string",
                            json("{'inputs':[{'name':3,'datatype':'FP32','shape':[1],'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("'name' must be a string")),
                    Arguments.of("input without datatype", json("{'inputs':[{'name':'x','shape':[1],'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("input 'x' has no 'datatype'")),
                    Arguments.of("input without shape",
                            json("{'inputs':[{'name':'x','datatype':'FP32','data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("input 'x' needs 'shape'")),
                    Arguments.of("shape not an array",
                            json("{'inputs':[{'name':'x','datatype':'FP32','shape':3,'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("input 'x' needs 'shape'")),
                    Arguments.of("input without data", json("{'inputs':[{'name':'x','datatype':'FP32','shape':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("input 'x' has no 'data'")),
                    Arguments.of("id not a string", json("{'id':5,'inputs':[]}"), ErrorCode.MALFORMED_REQUEST,
                            List.of("'id' must be a string")),
                    Arguments.of("parameters not an object",
                            json("{'parameters':[1],'inputs':[{'name':'x','datatype':'FP32','shape':[1],'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("'parameters' must be an object")),
                    Arguments.of("outputs not an array",
                            json("{'outputs':'y','inputs':[{'name':'x','datatype':'FP32','shape':[1],'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("'outputs' must be an array")),
                    Arguments.of("output not an object",
                            json("{'outputs':['y'],'inputs':[{'name':'x','datatype':'FP32','shape':[1],'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("outputs[0] must be an object")),
                    Arguments.of("output without name",
                            json("{'outputs':[{}],'inputs':[{'name':'x','datatype':'FP32','shape':[1],'data':[1]}]}"),
                            ErrorCode.MALFORMED_REQUEST, List.of("outputs[0] has no 'name'")),
                    // tensor contents: INVALID_INPUT
                    Arguments.of("unknown datatype", request1("FLOAT32", "[1]", "[1]"), ErrorCode.INVALID_INPUT,
                            List.of("input 'x'", "unknown datatype 'FLOAT32'",
                                    Fixtures.names(Datatype.values()))),
                    Arguments.of("lower-case datatype", request1("fp32", "[1]", "[1]"), ErrorCode.INVALID_INPUT,
                            List.of("unknown datatype 'fp32'")),
                    Arguments.of("negative shape dim", request1("FP32", "[2,-1]", "[1,2]"), ErrorCode.INVALID_INPUT,
                            List.of("input 'x'", "shape[1] must be a non-negative integer", "-1")),
                    Arguments.of("fractional shape dim", request1("FP32", "[1.5]", "[1]"), ErrorCode.INVALID_INPUT,
                            List.of("shape[0] must be a non-negative integer")),
                    Arguments.of("string shape dim", request1("FP32", "[\"2\"]", "[1,2]"), ErrorCode.INVALID_INPUT,
                            List.of("shape[0] must be a non-negative integer")),
                    Arguments.of("duplicate input names",
                            request(input("a", "FP32", "[1]", "[1]"), input("a", "FP32", "[1]", "[2]")),
                            ErrorCode.INVALID_INPUT, List.of("input 'a' appears more than once")),
                    Arguments.of("more data than shape", request1("FP32", "[2,2]", "[1,2,3,4,5]"),
                            ErrorCode.INVALID_INPUT, List.of("input 'x'", "shape says 4 elements", "holds 5")),
                    Arguments.of("less data than shape", request1("INT64", "[3]", "[1,2]"),
                            ErrorCode.INVALID_INPUT, List.of("shape says 3 elements", "holds 2")),
                    Arguments.of("nested data with too few rows", request1("FP32", "[3,2]", "[[1,2],[3,4]]"),
                            ErrorCode.INVALID_INPUT, List.of("shape says 6 elements", "holds 4")),
                    Arguments.of("string in FP32", request1("FP32", "[2]", "[1,\"2\"]"), ErrorCode.INVALID_INPUT,
                            List.of("input 'x' is FP32", "data[1] must be a number", "\"2\"")),
                    Arguments.of("bool in FP64", request1("FP64", "[1]", "[true]"), ErrorCode.INVALID_INPUT,
                            List.of("data[0] must be a number")),
                    Arguments.of("null in FP32", request1("FP32", "[2]", "[1,null]"), ErrorCode.INVALID_INPUT,
                            List.of("data[1] must be a number", "null")),
                    Arguments.of("float in INT32", request1("INT32", "[2]", "[1,2.5]"), ErrorCode.INVALID_INPUT,
                            List.of("input 'x' is INT32", "data[1] must be an integer", "2.5")),
                    Arguments.of("integral float in INT64", request1("INT64", "[1]", "[1.0]"), ErrorCode.INVALID_INPUT,
                            List.of("data[0] must be an integer")),
                    Arguments.of("number in BYTES", request1("BYTES", "[2]", "[\"a\",3]"), ErrorCode.INVALID_INPUT,
                            List.of("input 'x' is BYTES", "data[1] must be a string", "got 3")),
                    Arguments.of("number in BOOL", request1("BOOL", "[1]", "[1]"), ErrorCode.INVALID_INPUT,
                            List.of("input 'x' is BOOL", "data[0] must be true or false")),
                    Arguments.of("INT8 above range", request1("INT8", "[3]", "[1,2,128]"), ErrorCode.INVALID_INPUT,
                            List.of("input 'x'", "data[2] = 128 is out of range for INT8 [-128, 127]")),
                    Arguments.of("INT8 below range", request1("INT8", "[1]", "[-129]"), ErrorCode.INVALID_INPUT,
                            List.of("data[0] = -129 is out of range for INT8")),
                    Arguments.of("UINT8 above range", request1("UINT8", "[1]", "[256]"), ErrorCode.INVALID_INPUT,
                            List.of("data[0] = 256 is out of range for UINT8 [0, 255]")),
                    Arguments.of("UINT8 negative", request1("UINT8", "[1]", "[-1]"), ErrorCode.INVALID_INPUT,
                            List.of("data[0] = -1 is out of range for UINT8")),
                    Arguments.of("INT32 above range", request1("INT32", "[1]", "[2147483648]"),
                            ErrorCode.INVALID_INPUT, List.of("out of range for INT32")),
                    Arguments.of("INT64 beyond long", request1("INT64", "[1]", "[9223372036854775808]"),
                            ErrorCode.INVALID_INPUT, List.of("data[0] must be an integer")),
                    Arguments.of("wrong element in nested data", request1("FP32", "[2,2]", "[[1,2],[3,\"x\"]]"),
                            ErrorCode.INVALID_INPUT, List.of("data[3] must be a number")),
                    Arguments.of("shape too large", request1("FP32", "[65536,65536]", "[]"),
                            ErrorCode.PAYLOAD_TOO_LARGE, List.of("input 'x'", "too many elements")));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void isRejectedWithItsCodeAndAMessageNamingTheFault(String description, String body, ErrorCode code,
                List<String> fragments) {
            InferenceException e = parseFailure(body);

            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            assertThat(e.getMessage()).contains(fragments);
        }

        @Test
        void longWrongElementIsAbbreviatedInTheMessage() {
            String longText = "x".repeat(200);
            InferenceException e = parseFailure(request1("FP32", "[1]", "[\"" + longText + "\"]"));

            assertThat(e.getMessage()).contains("...").doesNotContain(longText);
        }
        @Test
        void shapeWhoseElementCountOverflowsALongIsRejectedAsAnInferenceException() {
            InferenceException e = parseFailure(request1("FP32", "[4294967296,4294967296]", "[]"));

            assertThat(e.code()).isIn(ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.INVALID_INPUT);
        }
    }
}
