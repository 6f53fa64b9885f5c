package io.streaminfer.job.kafka;

import io.streaminfer.contract.KafkaContract;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.StatusUpdate;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema.KafkaSinkContext;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** The three output records, laid out as {@link KafkaContract} and docs/contract.md say. */
public final class RecordSerializers {
    private RecordSerializers() {}

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** The W3C trace context headers, so a consumer continues the request's trace; nothing when it has none. */
    static void addTrace(Headers headers, String traceparent, String tracestate) {
        if (traceparent != null) {
            headers.add(KafkaContract.HEADER_TRACEPARENT, utf8(traceparent));
            if (tracestate != null) {
                headers.add(KafkaContract.HEADER_TRACESTATE, utf8(tracestate));
            }
        }
    }

    /**
     * Results: key = request ID, value = OIP response (binary-framed when asked) or error, headers model,
     * model-version, reply-to, and content-type + inference-header-content-length on a binary-framed one.
     */
    public static final class Results implements KafkaRecordSerializationSchema<Outcome> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public Results(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Outcome o, KafkaSinkContext context, Long timestamp) {
            RecordHeaders headers = new RecordHeaders();
            if (o.model != null) {
                headers.add(KafkaContract.HEADER_MODEL, utf8(o.model));
            }
            if (o.modelVersion != null) {
                headers.add(KafkaContract.HEADER_MODEL_VERSION, utf8(o.modelVersion));
            }
            if (o.replyTo != null) {
                headers.add(KafkaContract.HEADER_REPLY_TO, utf8(o.replyTo));
            }
            if (o.errorCode != null) {
                // Readers (the bridge) learn success or failure from a header, without parsing the body.
                headers.add(KafkaContract.HEADER_ERROR_CODE, utf8(o.errorCode.name()));
            }
            if (o.callbackUrl != null) {
                headers.add(KafkaContract.HEADER_CALLBACK_URL, utf8(o.callbackUrl));
            }
            boolean ranNow = o.kind() == Outcome.Kind.FINAL; // a replay's answer did not run now
            if (ranNow && o.queueMicros >= 0) {
                headers.add(KafkaContract.HEADER_TIMING_QUEUE_US, utf8(Long.toString(o.queueMicros)));
            }
            if (ranNow && o.modelMicros >= 0) {
                headers.add(KafkaContract.HEADER_TIMING_COMPUTE_US, utf8(Long.toString(o.modelMicros)));
            }
            if (o.resultHeaderLength >= 0) {
                headers.add(KafkaContract.HEADER_CONTENT_TYPE, utf8(KafkaContract.CONTENT_TYPE_OIP_BINARY));
                headers.add(KafkaContract.HEADER_INFERENCE_HEADER_LENGTH, utf8(Integer.toString(o.resultHeaderLength)));
            }
            addTrace(headers, o.traceparent, o.tracestate);
            return new ProducerRecord<>(topic, replyPartition(o, context), null, utf8(o.id), o.result, headers);
        }

        /** The bridge's reply partition when it exists on the topic; else null (the producer hashes the key). */
        private Integer replyPartition(Outcome o, KafkaSinkContext context) {
            if (o.replyPartition < 0) {
                return null;
            }
            int[] partitions = context.getPartitionsForTopic(topic);
            return o.replyPartition < partitions.length ? o.replyPartition : null;
        }
    }

    /** Status: key = request ID, value = the versioned status record JSON (the topic is compacted). */
    public static final class Status implements KafkaRecordSerializationSchema<StatusUpdate> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public Status(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(StatusUpdate s, KafkaSinkContext context, Long timestamp) {
            RecordHeaders headers = new RecordHeaders();
            addTrace(headers, s.traceparent, s.tracestate);
            return new ProducerRecord<>(topic, null, null, utf8(s.id), s.toRecord().toJson(), headers);
        }
    }

    /**
     * Dead letters: the original key, value and headers unchanged (its {@code traceparent} included), plus error-code
     * and error-reason.
     */
    public static final class DeadLetters implements KafkaRecordSerializationSchema<Rejection> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public DeadLetters(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Rejection r, KafkaSinkContext context, Long timestamp) {
            RecordHeaders headers = new RecordHeaders();
            if (r.record.headerNames != null) {
                for (int i = 0; i < r.record.headerNames.length; i++) {
                    headers.add(r.record.headerNames[i], r.record.headerValues[i]);
                }
            }
            headers.add(KafkaContract.HEADER_ERROR_CODE, utf8(r.errorCode.name()));
            headers.add(KafkaContract.HEADER_ERROR_REASON, utf8(r.reason));
            byte[] key = r.record.key != null ? r.record.key : utf8(r.id);
            return new ProducerRecord<>(topic, null, null, key, r.record.value, headers);
        }
    }
}
