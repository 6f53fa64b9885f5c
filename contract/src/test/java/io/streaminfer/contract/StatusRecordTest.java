package io.streaminfer.contract;

import static io.streaminfer.contract.Fixtures.bytes;
import static io.streaminfer.contract.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusRecordTest {

    private static JsonNode tree(StatusRecord r) throws Exception {
        return OipJson.MAPPER.readTree(r.toJson());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static StatusRecord failed() {
        return StatusRecord.failed("req-1", "minilm", "2", RequestState.FAILED, ErrorCode.MODEL_ERROR, "boom",
                1_000L, 2_500L);
    }

    @Test
    void failedRecordRoundTrips() {
        StatusRecord original = failed();

        assertThat(StatusRecord.fromJson(original.toJson())).isEqualTo(original);
    }

    @Test
    void plainRecordRoundTrips() {
        StatusRecord original = StatusRecord.of("req-2", "m", null, RequestState.QUEUED, 10L, 20L);

        StatusRecord back = StatusRecord.fromJson(original.toJson());

        assertThat(back).isEqualTo(original);
        assertThat(back.version()).isEqualTo(StatusRecord.VERSION).isEqualTo(1);
        assertThat(back.modelVersion()).isNull();
        assertThat(back.errorCode()).isNull();
        assertThat(back.reason()).isNull();
    }

    @Test
    void usesTheDocumentedFieldNamesAndValues() throws Exception {
        JsonNode root = tree(failed());

        assertThat(fieldNames(root)).containsExactlyInAnyOrder("v", "id", "model", "model_version", "state",
                "error_code", "reason", "accepted_at", "updated_at");
        assertThat(root.get("v").asInt()).isEqualTo(1);
        assertThat(root.get("id").asText()).isEqualTo("req-1");
        assertThat(root.get("model").asText()).isEqualTo("minilm");
        assertThat(root.get("model_version").asText()).isEqualTo("2");
        assertThat(root.get("state").asText()).isEqualTo("FAILED");
        assertThat(root.get("error_code").asText()).isEqualTo("MODEL_ERROR");
        assertThat(root.get("reason").asText()).isEqualTo("boom");
        assertThat(root.get("accepted_at").asLong()).isEqualTo(1_000L);
        assertThat(root.get("updated_at").asLong()).isEqualTo(2_500L);
    }

    @Test
    void theStreamingFormIsTheAnnotatedBeanFormByteForByte() throws Exception {
        List<StatusRecord> records = List.of(failed(),
                StatusRecord.of("r", null, null, RequestState.ACCEPTED, 5L, 5L),
                new StatusRecord(1, "g-\u00e9\"quoted\"\n", "graph", "3", RequestState.RUNNING, null, null, 7L, 9L,
                        "embed"),
                new StatusRecord(1, "x", "m", null, RequestState.EXPIRED, ErrorCode.DEADLINE_EXCEEDED,
                        "deadline passed 3 ms before \u2028 the model ran", Long.MAX_VALUE, -1L, null),
                new StatusRecord(1, everyAsciiCharacter(), "m\u007f", "", RequestState.FAILED, ErrorCode.INTERNAL,
                        "\u00e9\u07ff\u0800\u20ac\uffff\ud83d\ude00 " + "long ".repeat(2_000), Long.MIN_VALUE, 0L,
                        "\t"),
                // Six bytes out for each char in: more than the writer's first guess at the size.
                new StatusRecord(1, "c", null, null, RequestState.FAILED, ErrorCode.INTERNAL,
                        "\u0001".repeat(1_000), 1L, 2L, "\u20ac".repeat(500)));

        for (StatusRecord r : records) {
            // What the annotations would have Jackson write: readers parse the same record either way.
            assertThat(new String(r.toJson(), StandardCharsets.UTF_8)).as(r.toString())
                    .isEqualTo(OipJson.MAPPER.writeValueAsString(r));
        }
    }

    @Test
    void aLoneSurrogateIsWrittenAsAQuestionMarkAndTheRecordStillParses() {
        StatusRecord r = StatusRecord.of("half-\ud83d-of-a-pair", null, null, RequestState.ACCEPTED, 5L, 5L);
        assertThat(StatusRecord.fromJson(r.toJson()).id()).isEqualTo("half-?-of-a-pair");
    }

    private static String everyAsciiCharacter() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x80; c++) {
            all.append(c);
        }
        return all.toString();
    }

    @Test
    void nullFieldsAreOmitted() throws Exception {
        JsonNode root = tree(StatusRecord.of("r", null, null, RequestState.ACCEPTED, 5L, 5L));

        assertThat(fieldNames(root)).containsExactlyInAnyOrder("v", "id", "state", "accepted_at", "updated_at");
    }

    @Test
    void unknownFieldsAreIgnored() {
        String body = json("{'v':2,'id':'r','state':'RUNNING','accepted_at':1,'updated_at':2,"
                + "'future':{'nested':[1,2]},'worker':'w-7'}");

        StatusRecord r = StatusRecord.fromJson(bytes(body));

        assertThat(r.version()).isEqualTo(2);
        assertThat(r.id()).isEqualTo("r");
        assertThat(r.state()).isEqualTo(RequestState.RUNNING);
        assertThat(r.acceptedAt()).isEqualTo(1L);
        assertThat(r.updatedAt()).isEqualTo(2L);
        assertThat(r.model()).isNull();
    }

    @Test
    void missingIdOrStateIsRefused() {
        assertThatThrownBy(() -> StatusRecord.fromJson(bytes(json("{'v':1,'state':'QUEUED'}"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a status record");
        assertThatThrownBy(() -> StatusRecord.fromJson(bytes(json("{'v':1,'id':'r'}"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a status record");
    }

    @Test
    void notJsonIsRefused() {
        assertThatThrownBy(() -> StatusRecord.fromJson(bytes("nope")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a status record");
    }

    @Test
    void equalsComparesEveryField() {
        StatusRecord a = failed();

        assertThat(a).isEqualTo(failed()).hasSameHashCodeAs(failed());
        assertThat(a).isNotEqualTo(StatusRecord.failed("req-1", "minilm", "2", RequestState.FAILED,
                ErrorCode.MODEL_ERROR, "other", 1_000L, 2_500L));
        assertThat(a).isNotEqualTo(StatusRecord.failed("req-1", "minilm", "2", RequestState.FAILED,
                ErrorCode.INTERNAL, "boom", 1_000L, 2_500L));
        assertThat(a).isNotEqualTo(StatusRecord.failed("req-1", "minilm", "2", RequestState.FAILED,
                ErrorCode.MODEL_ERROR, "boom", 1_000L, 2_501L));
        assertThat(a).isNotEqualTo(StatusRecord.failed("req-1", "minilm", "3", RequestState.FAILED,
                ErrorCode.MODEL_ERROR, "boom", 1_000L, 2_500L));
    }

    @Test
    void aGraphRequestsStepRoundTripsAndIsAbsentOtherwise() throws Exception {
        StatusRecord running = new StatusRecord(StatusRecord.VERSION, "g-1", "sotu-qa", "1", RequestState.RUNNING,
                null, null, 1L, 2L, "lookup");

        assertThat(tree(running).path("step").asText()).isEqualTo("lookup");
        assertThat(StatusRecord.fromJson(running.toJson())).isEqualTo(running);
        assertThat(StatusRecord.fromJson(running.toJson()).step()).isEqualTo("lookup");
        assertThat(tree(failed()).has("step")).as("absent for a model's request").isFalse();
        assertThat(running).isNotEqualTo(new StatusRecord(StatusRecord.VERSION, "g-1", "sotu-qa", "1",
                RequestState.RUNNING, null, null, 1L, 2L, "embed"));
    }
}
