package io.streaminfer.bridge.batch.feed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A line's body as the requests the job runs, and its answer as the online endpoint gives it. */
class LineTranslatorTest {
    static InputLine line(String url, String body) {
        byte[] b = ("{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"" + url + "\",\"body\":" + body + "}")
                .getBytes(StandardCharsets.UTF_8);
        return ((InputLine.Ok) InputLine.read(0, 1, b, b.length)).line();
    }

    private static LineTranslator translator(String endpoint) {
        return new LineTranslator(BatchEndpoint.parse(endpoint), TestModels.REPOSITORY, TestModels.CHECKS);
    }

    private static Reply vectors(float[][] rows) {
        List<Float> flat = new ArrayList<>();
        for (float[] r : rows) {
            for (float f : r) {
                flat.add(f);
            }
        }
        float[] all = new float[flat.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = flat.get(i);
        }
        return new Reply(OipJson.writeResponse(new InferenceResponse("emb", "1", null, null,
                List.of(Tensor.ofFloats("embedding", new long[] {rows.length, 2}, all)))), null);
    }

    @Test
    void anEmbeddingsLineOfMoreInputsThanABatchIsSentInPartsAndItsVectorsJoinInOrder() {
        LineTranslator t = translator("/v1/embeddings");
        InputLine l = line("/v1/embeddings", "{\"model\":\"emb\",\"input\":[\"a\",\"b\",\"c\"],"
                + "\"encoding_format\":\"float\"}");
        assertThat(t.parts(l)).isEqualTo(2);
        LinePlan.Send send = (LinePlan.Send) t.plan(l);
        assertThat(send.requests()).hasSize(2);
        assertThat(OipJson.parseRequest(send.requests().get(1).body()).input("text").strings())
                .containsExactly("c");
        LineAnswer a = send.answer().of("b:c", List.of(vectors(new float[][] {{1, 2}, {3, 4}}),
                vectors(new float[][] {{5, 6}})));
        assertThat(a.status()).isEqualTo(200);
        JsonNode data = a.body().get("data");
        assertThat(data).hasSize(3);
        assertThat(data.get(2).get("index").asInt()).isEqualTo(2);
        assertThat(data.get(2).get("embedding").get(1).floatValue()).isEqualTo(6f);
    }

    @Test
    void whatTheEndpointWouldRefuseIsRefusedWithItsStatusAndOpenAisError() {
        LineTranslator t = translator("/v1/embeddings");
        LinePlan unknown = t.plan(line("/v1/embeddings", "{\"model\":\"nope\",\"input\":\"x\"}"));
        LineAnswer a = ((LinePlan.Refused) unknown).answer();
        assertThat(a.status()).isEqualTo(404);
        assertThat(a.body().get("error").get("code").asText()).isEqualTo("model_not_found");
        LineAnswer bad = ((LinePlan.Refused) t.plan(line("/v1/embeddings", "{\"model\":\"emb\",\"input\":42}")))
                .answer();
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().get("error").get("param").asText()).isEqualTo("input");
        LineAnswer stream = ((LinePlan.Refused) translator("/v1/completions").plan(line("/v1/completions",
                "{\"model\":\"gen\",\"prompt\":\"x\",\"stream\":true}"))).answer();
        assertThat(stream.status()).isEqualTo(400);
        assertThat(stream.body().get("error").get("param").asText()).isEqualTo("stream");
    }

    @Test
    void aFailedPartAnswersTheLineWithItsError() {
        LinePlan.Send send = (LinePlan.Send) translator("/v1/embeddings").plan(line("/v1/embeddings",
                "{\"model\":\"emb\",\"input\":\"x\"}"));
        LineAnswer a = send.answer().of("b:c", List.of(new Reply(
                "{\"error\":\"the model failed\",\"code\":\"MODEL_ERROR\"}".getBytes(StandardCharsets.UTF_8),
                ErrorCode.MODEL_ERROR)));
        assertThat(a.status()).isEqualTo(500);
        assertThat(a.succeeded()).isFalse();
        assertThat(a.body().get("error").get("message").asText()).isEqualTo("the model failed");
    }

    @Test
    void aCompletionIsAnsweredAsTheUnstreamedEndpointAnswersIt() {
        LinePlan.Send send = (LinePlan.Send) translator("/v1/chat/completions").plan(line("/v1/chat/completions",
                "{\"model\":\"gen\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4}"));
        InferenceResponse r = new InferenceResponse("gen", "1", null,
                Map.of("finish_reason", "length", "prompt_tokens", 3, "completion_tokens", 4),
                List.of(Tensor.ofStrings("text_output", " there")));
        LineAnswer a = send.answer().of("batch_1:c", List.of(new Reply(OipJson.writeResponse(r), null)));
        assertThat(a.status()).isEqualTo(200);
        ObjectNode body = (ObjectNode) a.body();
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("id").asText()).isEqualTo("chatcmpl-batch_1:c");
        assertThat(body.get("choices").get(0).get("message").get("content").asText()).isEqualTo(" there");
        assertThat(body.get("usage").get("total_tokens").asInt()).isEqualTo(7);
    }

    @Test
    void anOipLineRunsItsUrlsModelAndIsAnsweredWithTheOipResponse() {
        LineTranslator t = translator(BatchEndpoint.ANY_MODEL);
        InputLine l = line("/v2/models/tiny/versions/1/infer", "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
                + "\"shape\":[1,2],\"data\":[1,2]}]}");
        LinePlan.Send send = (LinePlan.Send) t.plan(l);
        assertThat(send.requests().get(0).model()).isEqualTo("tiny");
        assertThat(send.requests().get(0).requestedVersion()).isEqualTo("1");
        InferenceRequest sent = OipJson.parseRequest(send.requests().get(0).body());
        assertThat(sent.input("x").floats()).containsExactly(1f, 2f);
        LineAnswer a = send.answer().of("b:c", List.of(new Reply(OipJson.writeResponse(new InferenceResponse(
                "tiny", "1", null, null,
                List.of(Tensor.ofFloats("y", new long[] {1, 2}, new float[] {3, 4})))), null)));
        assertThat(a.body().get("outputs").get(0).get("name").asText()).isEqualTo("y");
        LineAnswer bad = ((LinePlan.Refused) t.plan(line("/v2/models/tiny/infer", "{\"inputs\":[]}"))).answer();
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().get("error").isTextual()).as("OIP's error shape").isTrue();
    }
}
