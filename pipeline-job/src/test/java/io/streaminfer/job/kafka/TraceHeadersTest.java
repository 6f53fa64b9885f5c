package io.streaminfer.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.contract.TraceContext;
import io.streaminfer.flink.generation.TokenLog;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.StatusUpdate;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** The request's W3C trace context travels on every record the job writes for it, as a consumer reads it. */
class TraceHeadersTest {
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final String TRACESTATE = "congo=t61rcWkgMzE";

    private static TraceContext read(ProducerRecord<byte[], byte[]> r) {
        return TraceContext.parse(header(r, KafkaContract.HEADER_TRACEPARENT),
                header(r, KafkaContract.HEADER_TRACESTATE));
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static Outcome outcome(String traceparent) {
        Outcome o = new Outcome();
        o.id = "req-1";
        o.model = "tiny-mlp";
        o.state = RequestState.FAILED;
        o.errorCode = ErrorCode.INVALID_INPUT;
        o.result = "{}".getBytes(StandardCharsets.UTF_8);
        o.traceparent = traceparent;
        o.tracestate = traceparent == null ? null : TRACESTATE;
        return o;
    }

    @Test
    void resultAndStatusRecordsCarryTheRequestsTraceContext() {
        TraceContext expected = TraceContext.parse(TRACEPARENT, TRACESTATE);
        Outcome o = outcome(TRACEPARENT);

        assertThat(read(new RecordSerializers.Results("results").serialize(o, null, null))).isEqualTo(expected);
        assertThat(read(new RecordSerializers.Status("status").serialize(StatusUpdate.of(o), null, null)))
                .isEqualTo(expected);
    }

    @Test
    void aRequestWithoutTraceContextGetsNoTraceHeaders() {
        Outcome o = outcome(null);
        ProducerRecord<byte[], byte[]> result = new RecordSerializers.Results("results").serialize(o, null, null);
        assertThat(result.headers().lastHeader(KafkaContract.HEADER_TRACEPARENT)).isNull();
        assertThat(result.headers().lastHeader(KafkaContract.HEADER_TRACESTATE)).isNull();
        ProducerRecord<byte[], byte[]> status = new RecordSerializers.Status("status")
                .serialize(StatusUpdate.of(o), null, null);
        assertThat(status.headers().toArray()).isEmpty();
    }

    @Test
    void tokenRecordsCarryTheRequestsTraceContext() {
        TokenLog.Routed routed = new TokenLog.Routed(TokenRecord.delta("req-1", 0, "hi", new int[] {1}), "sotu-gpt",
                -1, TRACEPARENT, TRACESTATE);
        assertThat(read(KafkaTokenLog.record("tokens", 2, routed))).isEqualTo(TraceContext.parse(TRACEPARENT,
                TRACESTATE));
    }

    @Test
    void deadLettersKeepTheRequestsOwnTraceHeaders() {
        RawRecord raw = new RawRecord();
        raw.key = "req-1".getBytes(StandardCharsets.UTF_8);
        raw.value = "not json".getBytes(StandardCharsets.UTF_8);
        raw.headerNames = new String[] {KafkaContract.HEADER_MODEL, KafkaContract.HEADER_TRACEPARENT};
        raw.headerValues = new byte[][] {"tiny-mlp".getBytes(StandardCharsets.UTF_8),
            TRACEPARENT.getBytes(StandardCharsets.UTF_8)};
        Rejection r = new Rejection();
        r.id = "req-1";
        r.errorCode = ErrorCode.MALFORMED_REQUEST;
        r.reason = "not json";
        r.record = raw;
        assertThat(read(new RecordSerializers.DeadLetters("dlq").serialize(r, null, null)).traceparent())
                .isEqualTo(TRACEPARENT);
    }
}
