package io.streaminfer.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.RequestOptions;
import io.streaminfer.contract.model.ModelSelection;
import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import io.streaminfer.runtime.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The parser in Flink's ProcessFunction harness against the real model repository (descriptors only): valid records
 * become envelopes, every kind of bad record becomes a Rejection on the side output, never an exception.
 */
class RequestParserTest {
    static final String TOPIC = "requests";
    static final int PARTITION = 3;
    static final long OFFSET = 42;
    static final long PRODUCED_AT = 1_700_000_000_000L;
    static final String VALID_BODY = body("body-id", null);

    private OneInputStreamOperatorTestHarness<RawRecord, RequestEnvelope> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    static String body(String id, String parameters) {
        return body(id, parameters, "FP32", "[1,4]", "[1.0,2.0,3.0,4.0]");
    }

    static String body(String id, String parameters, String datatype, String shape, String data) {
        StringBuilder b = new StringBuilder("{");
        if (id != null) {
            b.append("\"id\":\"").append(id).append("\",");
        }
        if (parameters != null) {
            b.append("\"parameters\":").append(parameters).append(',');
        }
        b.append("\"inputs\":[{\"name\":\"features\",\"shape\":").append(shape).append(",\"datatype\":\"")
                .append(datatype).append("\",\"data\":").append(data).append("}]}");
        return b.toString();
    }

    /** A record with the given key (null: none), value and headers as name/value pairs. */
    static RawRecord record(String key, String value, String... headers) {
        RawRecord r = new RawRecord();
        r.key = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        r.value = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        r.headerNames = new String[headers.length / 2];
        r.headerValues = new byte[headers.length / 2][];
        for (int i = 0; i < headers.length / 2; i++) {
            r.headerNames[i] = headers[2 * i];
            r.headerValues[i] = headers[2 * i + 1].getBytes(StandardCharsets.UTF_8);
        }
        r.timestamp = PRODUCED_AT;
        r.topic = TOPIC;
        r.partition = PARTITION;
        r.offset = OFFSET;
        return r;
    }

    OneInputStreamOperatorTestHarness<RawRecord, RequestEnvelope> open(int maxBytes, ModelSelection served)
            throws Exception {
        if (harness != null) {
            harness.close();
        }
        harness = ProcessFunctionTestHarnesses.forProcessFunction(
                new RequestParser(TestModels.modelsDir().toString(), maxBytes, served));
        return harness;
    }

    List<RequestEnvelope> parse(RawRecord raw) throws Exception {
        if (harness == null) {
            open(1 << 20, ModelSelection.all());
        }
        harness.processElement(raw, raw.timestamp);
        return harness.extractOutputValues();
    }

    List<Rejection> rejections() {
        List<Rejection> out = new ArrayList<>();
        ConcurrentLinkedQueue<StreamRecord<Rejection>> q = harness.getSideOutput(RequestParser.REJECTED);
        if (q != null) {
            q.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    RequestEnvelope accepted(RawRecord raw) throws Exception {
        List<RequestEnvelope> out = parse(raw);
        assertThat(rejections()).as("rejections").isEmpty();
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    /** Parses a record that must be rejected: nothing on the main output, one Rejection keeping the record. */
    Rejection rejected(RawRecord raw, ErrorCode code) throws Exception {
        assertThat(parse(raw)).as("main output").isEmpty();
        List<Rejection> rejected = rejections();
        assertThat(rejected).hasSize(1);
        Rejection r = rejected.get(0);
        assertThat(r.errorCode).as("error code of %s", r.reason).isEqualTo(code);
        assertThat(r.reason).isNotBlank();
        assertThat(r.record).as("the original record").usingRecursiveComparison().isEqualTo(raw);
        return r;
    }

    // ------------------------------------------------------------------ valid records

    @Test
    void aValidTraceparentHeaderIsCarriedInTheEnvelope() throws Exception {
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        RequestEnvelope env = accepted(record("key-t", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_TRACEPARENT, traceparent, KafkaContract.HEADER_TRACESTATE, "vendor=x"));
        assertThat(env.traceparent).isEqualTo(traceparent);
        assertThat(env.tracestate).isEqualTo("vendor=x");
    }

    @Test
    void anInvalidTraceparentIsIgnoredNotRejected() throws Exception {
        RequestEnvelope env = accepted(record("key-u", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_TRACEPARENT, "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                KafkaContract.HEADER_TRACESTATE, "vendor=x"));
        assertThat(env.traceparent).isNull();
        assertThat(env.tracestate).isNull();
    }

    @Test
    void validRecordBecomesEnvelope() throws Exception {
        RawRecord raw = record("key-1", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_REPLY_TO, "bridge-7");
        long before = System.currentTimeMillis();
        RequestEnvelope env = accepted(raw);
        assertThat(env.id).isEqualTo("key-1");
        assertThat(env.responseId).isEqualTo("body-id");
        assertThat(env.model).isEqualTo(TestModels.TINY_MLP);
        assertThat(env.modelVersion).isEqualTo("1");
        assertThat(env.priority).isEqualTo(Integer.MAX_VALUE);
        assertThat(env.deadlineMs).isEqualTo(Long.MAX_VALUE);
        assertThat(env.replyTo).isEqualTo("bridge-7");
        assertThat(env.callbackUrl).isNull();
        assertThat(env.producedAt).isEqualTo(PRODUCED_AT);
        assertThat(env.acceptedAt).isBetween(before, System.currentTimeMillis());
        // Parsed and prepared once: the request travels as its compact prepared form, answering to the body's id.
        PreparedRequest prepared = PreparedRequestCodec.decode(env.prepared);
        assertThat(prepared.id()).isEqualTo("body-id");
        assertThat(prepared.modelKey()).isEqualTo(TestModels.TINY_MLP + ":1");
        assertThat(prepared.rows()).isEqualTo(1);
        assertThat(prepared.request().input("features").floats()).hasSize(4);
    }

    @Test
    void aTextRequestLeavesTheParserAsTokensNotText() throws Exception {
        String huge = "word ".repeat(200_000); // a megabyte of text
        RequestEnvelope env = accepted(record("t", "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\","
                + "\"shape\":[1],\"data\":[\"" + huge + "\"]}]}", KafkaContract.HEADER_MODEL, TestModels.MINILM));
        PreparedRequest prepared = PreparedRequestCodec.decode(env.prepared);
        assertThat(prepared.maxRowCost()).isEqualTo(256);
        assertThat(env.prepared.length).as("256 token ids, not a megabyte").isLessThan(2_000);
    }

    @Test
    void rowsComeFromTheBatchDimension() throws Exception {
        RequestEnvelope env = accepted(record("k", body("b", null, "FP32", "[3,4]", "[1,2,3,4,5,6,7,8,9,10,11,12]"),
                KafkaContract.HEADER_MODEL, TestModels.TINY_MLP));
        assertThat(PreparedRequestCodec.decode(env.prepared).rows()).isEqualTo(3);
    }

    @Test
    void explicitModelVersionHeaderIsResolved() throws Exception {
        RequestEnvelope env = accepted(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_MODEL_VERSION, "1"));
        assertThat(env.modelVersion).isEqualTo("1");
    }

    @Test
    void withoutKeyTheBodyIdIsTheRequestId() throws Exception {
        RequestEnvelope env = accepted(record(null, VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP));
        assertThat(env.id).isEqualTo("body-id");
        assertThat(env.responseId).isEqualTo("body-id");
        assertThat(env.replyTo).isNull();
    }

    @Test
    void emptyKeyCountsAsNoKey() throws Exception {
        RequestEnvelope env = accepted(record("", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP));
        assertThat(env.id).isEqualTo("body-id");
    }

    @Test
    void withoutBodyIdTheResponseIdIsTheKey() throws Exception {
        RequestEnvelope env = accepted(record("key-only", body(null, null), KafkaContract.HEADER_MODEL,
                TestModels.TINY_MLP));
        assertThat(env.id).isEqualTo("key-only");
        assertThat(env.responseId).isEqualTo("key-only");
    }

    @Test
    void idOfExactlyTheMaximumLengthIsAccepted() throws Exception {
        String id = "i".repeat(RequestParser.MAX_ID_LENGTH);
        assertThat(accepted(record(id, VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP)).id)
                .isEqualTo(id);
    }

    // ------------------------------------------------------------------ options and header fallbacks

    @Test
    void bodyParametersSetPriorityAndDeadline() throws Exception {
        RequestEnvelope env = accepted(record("k", body("b", "{\"priority\":5,\"deadline_ms\":1800000000000}"),
                KafkaContract.HEADER_MODEL, TestModels.TINY_MLP));
        assertThat(env.priority).isEqualTo(5);
        assertThat(env.deadlineMs).isEqualTo(1_800_000_000_000L);
    }

    @Test
    void headersAreUsedWhenTheBodyHasNoParameters() throws Exception {
        RequestEnvelope env = accepted(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_PRIORITY, " 3 ", KafkaContract.HEADER_DEADLINE, "1900000000000",
                KafkaContract.HEADER_CALLBACK_URL, "http://cb.example/x"));
        assertThat(env.priority).isEqualTo(3);
        assertThat(env.deadlineMs).isEqualTo(1_900_000_000_000L);
        assertThat(env.callbackUrl).isEqualTo("http://cb.example/x");
    }

    @Test
    void bodyParametersWinOverHeaders() throws Exception {
        RequestEnvelope env = accepted(record("k", body("b", "{\"priority\":5,\"deadline_ms\":1800000000000}"),
                KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_PRIORITY, "3", KafkaContract.HEADER_DEADLINE, "1900000000000"));
        assertThat(env.priority).isEqualTo(5);
        assertThat(env.deadlineMs).isEqualTo(1_800_000_000_000L);
    }

    @Test
    void headerFillsOnlyTheParameterTheBodyLacks() throws Exception {
        RequestEnvelope env = accepted(record("k", body("b", "{\"priority\":5}"),
                KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_PRIORITY, "3", KafkaContract.HEADER_DEADLINE, "1900000000000"));
        assertThat(env.priority).isEqualTo(5);
        assertThat(env.deadlineMs).isEqualTo(1_900_000_000_000L);
    }

    @Test
    void priorityZeroMeansTheDefaultLevel() throws Exception {
        RequestEnvelope env = accepted(record("k", body("b", "{\"priority\":0}"), KafkaContract.HEADER_MODEL,
                TestModels.TINY_MLP));
        assertThat(env.priority).isEqualTo(RequestOptions.DEFAULT_PRIORITY);
    }

    @Test
    void badPriorityParameterIsInvalidInputNamingIt() throws Exception {
        Rejection r = rejected(record("k", body("b", "{\"priority\":\"urgent\"}"), KafkaContract.HEADER_MODEL,
                TestModels.TINY_MLP), ErrorCode.INVALID_INPUT);
        assertThat(r.reason).contains("priority");
        assertThat(r.id).isEqualTo("k");
        assertThat(r.responseId).isEqualTo("b");
        assertThat(r.model).isEqualTo(TestModels.TINY_MLP);
    }

    @Test
    void negativePriorityIsInvalidInput() throws Exception {
        Rejection r = rejected(record("k", body("b", "{\"priority\":-1}"), KafkaContract.HEADER_MODEL,
                TestModels.TINY_MLP), ErrorCode.INVALID_INPUT);
        assertThat(r.reason).contains("priority");
    }

    @Test
    void badPriorityHeaderIsInvalidInputNamingIt() throws Exception {
        Rejection r = rejected(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_PRIORITY, "soon"), ErrorCode.INVALID_INPUT);
        assertThat(r.reason).isEqualTo("header 'priority' must be an integer, got 'soon'");
    }

    @Test
    void badDeadlineHeaderIsInvalidInputNamingIt() throws Exception {
        Rejection r = rejected(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_DEADLINE, "tomorrow"), ErrorCode.INVALID_INPUT);
        assertThat(r.reason).isEqualTo("header 'deadline-ms' must be an integer, got 'tomorrow'");
    }

    // ------------------------------------------------------------------ rejections

    @Test
    void noKeyAndNoBodyIdIsRejectedUnderKafkaCoordinates() throws Exception {
        RawRecord raw = record(null, body(null, null), KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_REPLY_TO, "bridge-1");
        Rejection r = rejected(raw, ErrorCode.MALFORMED_REQUEST);
        assertThat(r.id).isEqualTo("kafka:" + TOPIC + "-" + PARTITION + "@" + OFFSET);
        assertThat(r.responseId).isEqualTo(r.id);
        assertThat(r.reason).contains("ID");
        assertThat(r.replyTo).isEqualTo("bridge-1");
        assertThat(r.model).isEqualTo(TestModels.TINY_MLP);
    }

    @Test
    void emptyValueIsMalformed() throws Exception {
        Rejection r = rejected(record("k", "", KafkaContract.HEADER_MODEL, TestModels.TINY_MLP),
                ErrorCode.MALFORMED_REQUEST);
        assertThat(r.id).isEqualTo("k");
        assertThat(r.reason).contains("empty");
    }

    @Test
    void nullValueIsMalformed() throws Exception {
        Rejection r = rejected(record(null, null, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP),
                ErrorCode.MALFORMED_REQUEST);
        assertThat(r.id).isEqualTo("kafka:" + TOPIC + "-" + PARTITION + "@" + OFFSET);
    }

    @Test
    void notJsonIsMalformed() throws Exception {
        Rejection r = rejected(record("k", "{not json", KafkaContract.HEADER_MODEL, TestModels.TINY_MLP),
                ErrorCode.MALFORMED_REQUEST);
        assertThat(r.id).isEqualTo("k");
    }

    @Test
    void oversizeRecordIsPayloadTooLargeWithBothSizes() throws Exception {
        int limit = 64;
        int size = VALID_BODY.getBytes(StandardCharsets.UTF_8).length;
        assertThat(size).isGreaterThan(limit);
        open(limit, ModelSelection.all());
        Rejection r = rejected(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP),
                ErrorCode.PAYLOAD_TOO_LARGE);
        assertThat(r.reason).contains(Integer.toString(size)).contains(Integer.toString(limit));
        assertThat(r.id).isEqualTo("k");
    }

    @Test
    void recordOfExactlyTheLimitIsAccepted() throws Exception {
        open(VALID_BODY.getBytes(StandardCharsets.UTF_8).length, ModelSelection.all());
        accepted(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP));
    }

    @Test
    void missingModelHeaderIsMalformed() throws Exception {
        Rejection r = rejected(record("k", VALID_BODY), ErrorCode.MALFORMED_REQUEST);
        assertThat(r.reason).contains("'" + KafkaContract.HEADER_MODEL + "'");
        assertThat(r.model).isNull();
        assertThat(r.id).isEqualTo("k");
    }

    @Test
    void unknownModelListsTheModels() throws Exception {
        Rejection r = rejected(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, "no-such-model"),
                ErrorCode.UNKNOWN_MODEL);
        assertThat(r.reason).contains("no-such-model").contains(TestModels.TINY_MLP).contains(TestModels.MINILM);
        assertThat(r.model).isEqualTo("no-such-model");
    }

    @Test
    void unknownModelVersionIsUnknownModel() throws Exception {
        Rejection r = rejected(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP,
                KafkaContract.HEADER_MODEL_VERSION, "9"), ErrorCode.UNKNOWN_MODEL);
        assertThat(r.reason).contains("'9'").contains("[1]");
    }

    @Test
    void modelsOutsideTheServedSetAreUnknown() throws Exception {
        open(1 << 20, ModelSelection.only(Set.of(TestModels.MINILM)));
        Rejection r = rejected(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP),
                ErrorCode.UNKNOWN_MODEL);
        assertThat(r.reason).contains(TestModels.TINY_MLP).contains(TestModels.MINILM);
    }

    @Test
    void servedModelIsAccepted() throws Exception {
        open(1 << 20, ModelSelection.only(Set.of(TestModels.TINY_MLP)));
        assertThat(accepted(record("k", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP)).model)
                .isEqualTo(TestModels.TINY_MLP);
    }

    @Test
    void wrongShapeIsInvalidInputNamingTheInput() throws Exception {
        Rejection r = rejected(record("k", body("b", null, "FP32", "[1,3]", "[1,2,3]"), KafkaContract.HEADER_MODEL,
                TestModels.TINY_MLP), ErrorCode.INVALID_INPUT);
        assertThat(r.reason).contains("'features'").contains("shape");
        assertThat(r.responseId).isEqualTo("b");
    }

    @Test
    void wrongDatatypeIsInvalidInputNamingTheInput() throws Exception {
        Rejection r = rejected(record("k", body("b", null, "INT64", "[1,4]", "[1,2,3,4]"), KafkaContract.HEADER_MODEL,
                TestModels.TINY_MLP), ErrorCode.INVALID_INPUT);
        assertThat(r.reason).contains("'features'").contains("FP32");
    }

    @Test
    void idLongerThanTheMaximumIsRejected() throws Exception {
        String id = "i".repeat(RequestParser.MAX_ID_LENGTH + 1);
        Rejection r = rejected(record(id, VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP),
                ErrorCode.MALFORMED_REQUEST);
        assertThat(r.id).isEqualTo("kafka:" + TOPIC + "-" + PARTITION + "@" + OFFSET);
        assertThat(r.reason).contains(Integer.toString(RequestParser.MAX_ID_LENGTH + 1))
                .contains(Integer.toString(RequestParser.MAX_ID_LENGTH));
    }

    @Test
    void tooLongBodyIdWithoutKeyIsRejected() throws Exception {
        String id = "b".repeat(RequestParser.MAX_ID_LENGTH + 1);
        Rejection r = rejected(record(null, body(id, null), KafkaContract.HEADER_MODEL, TestModels.TINY_MLP),
                ErrorCode.MALFORMED_REQUEST);
        assertThat(r.id).isEqualTo("kafka:" + TOPIC + "-" + PARTITION + "@" + OFFSET);
    }

    @Test
    void badRecordsDoNotStopTheNextGoodOne() throws Exception {
        open(1 << 20, ModelSelection.all());
        harness.processElement(record("bad", "", KafkaContract.HEADER_MODEL, TestModels.TINY_MLP), PRODUCED_AT);
        harness.processElement(record("good", VALID_BODY, KafkaContract.HEADER_MODEL, TestModels.TINY_MLP),
                PRODUCED_AT);
        assertThat(harness.extractOutputValues()).extracting(e -> e.id).containsExactly("good");
        assertThat(rejections()).extracting(r -> r.id).containsExactly("bad");
    }
}
