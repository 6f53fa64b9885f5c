package io.streaminfer.bridge.callback;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.OipJson;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CallbackDispatcherTest {
    private static final byte[] RESPONSE = ("{\"model_name\":\"tiny-mlp\",\"id\":\"r1\",\"outputs\":[{\"name\":\"label\","
            + "\"datatype\":\"INT64\",\"shape\":[1],\"data\":[2]}]}").getBytes(StandardCharsets.UTF_8);

    private static JsonNode parse(byte[] body) throws Exception {
        return OipJson.MAPPER.readTree(body);
    }

    @Test
    void successBody() throws Exception {
        JsonNode body = parse(CallbackDispatcher.body("j-abc", null, RESPONSE));
        assertThat(body.get("job_id").asText()).isEqualTo("j-abc");
        assertThat(body.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(body.has("error_code")).isFalse();
        assertThat(body.get("sent_at").isIntegralNumber()).isTrue();
        assertThat(body.get("sent_at").asLong()).isPositive();
        assertThat(body.get("result")).isEqualTo(parse(RESPONSE));
        assertThat(body.size()).isEqualTo(4);
    }

    @Test
    void modelErrorIsFailed() throws Exception {
        byte[] error = OipJson.writeError("r1", ErrorCode.MODEL_ERROR, "the model raised");
        JsonNode body = parse(CallbackDispatcher.body("j-err", "MODEL_ERROR", error));
        assertThat(body.get("state").asText()).isEqualTo("FAILED");
        assertThat(body.get("error_code").asText()).isEqualTo("MODEL_ERROR");
        assertThat(body.get("sent_at").isNumber()).isTrue();
        assertThat(body.get("result")).isEqualTo(parse(error));
    }

    @Test
    void deadlineExceededIsExpired() throws Exception {
        byte[] error = OipJson.writeError("r1", ErrorCode.DEADLINE_EXCEEDED, "too late");
        JsonNode body = parse(CallbackDispatcher.body("s1-x", "DEADLINE_EXCEEDED", error));
        assertThat(body.get("state").asText()).isEqualTo("EXPIRED");
        assertThat(body.get("error_code").asText()).isEqualTo("DEADLINE_EXCEEDED");
        assertThat(body.get("result")).isEqualTo(parse(error));
    }

    @Test
    void otherErrorCodesAreFailed() throws Exception {
        for (String code : new String[] {"INVALID_INPUT", "INTERNAL", "SOMETHING_NEW"}) {
            JsonNode body = parse(CallbackDispatcher.body("j-1", code, "{}".getBytes(StandardCharsets.UTF_8)));
            assertThat(body.get("state").asText()).as(code).isEqualTo("FAILED");
            assertThat(body.get("error_code").asText()).isEqualTo(code);
        }
    }

    @Test
    void jobIdAndCodeAreJsonEscaped() throws Exception {
        String jobId = "caller \"id\"\\ with\nnewline ü";
        JsonNode body = parse(CallbackDispatcher.body(jobId, "ODD\"CODE", "[1,2]".getBytes(StandardCharsets.UTF_8)));
        assertThat(body.get("job_id").asText()).isEqualTo(jobId);
        assertThat(body.get("error_code").asText()).isEqualTo("ODD\"CODE");
        assertThat(body.get("result")).isEqualTo(parse("[1,2]".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void resultBytesAreEmbeddedVerbatim() {
        byte[] result = "{\"a\":1.50,\"b\":\"é\"}".getBytes(StandardCharsets.UTF_8);
        String body = new String(CallbackDispatcher.body("j-1", null, result), StandardCharsets.UTF_8);
        assertThat(body).startsWith("{\"job_id\":\"j-1\",\"state\":\"SUCCEEDED\",\"sent_at\":")
                .endsWith(",\"result\":{\"a\":1.50,\"b\":\"é\"}}");
    }
}
