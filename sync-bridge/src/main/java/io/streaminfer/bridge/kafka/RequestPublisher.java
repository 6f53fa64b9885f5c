package io.streaminfer.bridge.kafka;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.streaminfer.bridge.tracing.BridgeTracing;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.TraceContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Publishes requests to the requests topic as the contract lays them out: key = job ID, value = the caller's OIP
 * body unchanged (its {@code id} is echoed by the response; JSON or binary-framed), routing, framing and options in
 * headers. Online calls get the {@code priority} header {@code onlinePriority} (the job reads it only when the body
 * names no priority), so they run before batch lines ({@link Routing#batchLine()}), which get none: the default
 * level, after every explicit one.
 */
public final class RequestPublisher implements AutoCloseable {
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final byte[] onlinePriority;
    /** Null: tracing off. */
    private final BridgeTracing tracing;

    public RequestPublisher(Producer<byte[], byte[]> producer, String topic) {
        this(producer, topic, 0, null);
    }

    /**
     * @param onlinePriority the level of online calls that name none; 0: none (the default level)
     * @param tracing traces each publish as a producer span {@code send <topic>}; null: off
     */
    public RequestPublisher(Producer<byte[], byte[]> producer, String topic, int onlinePriority,
            BridgeTracing tracing) {
        this.producer = producer;
        this.topic = topic;
        this.onlinePriority = onlinePriority > 0 ? utf8(Integer.toString(onlinePriority)) : null;
        this.tracing = tracing;
    }

    /** What travels with one request besides its body. */
    public static final class Routing {
        String model;
        String version;
        String replyTo;
        int replyPartition = -1;
        long deadlineMs = -1;
        int headerLength = -1;
        boolean batchLine;
        TraceContext trace;

        public static Routing of(String model, String version) {
            Routing r = new Routing();
            r.model = model;
            r.version = version;
            return r;
        }

        /** Where the sync reply must go: this replica's ID and one of its reply partitions. */
        public Routing replyTo(String replicaId, int partition) {
            this.replyTo = replicaId;
            this.replyPartition = partition;
            return this;
        }

        /** The body is binary-framed with a JSON header of this many bytes ({@code OipBinary}). */
        public Routing binary(int jsonHeaderLength) {
            this.headerLength = jsonHeaderLength;
            return this;
        }

        /** The caller's W3C trace context, passed on in the record's headers; null: none. */
        public Routing trace(TraceContext trace) {
            this.trace = trace;
            return this;
        }

        /** The job skips the model for a request still queued at this time (epoch ms): the caller has gone. */
        public Routing deadline(long epochMs) {
            this.deadlineMs = epochMs;
            return this;
        }

        /** A line of a batch: no priority of its own, so it runs after the online calls. */
        public Routing batchLine() {
            this.batchLine = true;
            return this;
        }
    }

    /** Completes when the brokers have the record (acks=all), exceptionally when they could not take it. */
    public CompletableFuture<Void> publish(String jobId, byte[] body, Routing routing) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(KafkaContract.HEADER_MODEL, utf8(routing.model));
        if (routing.version != null) {
            headers.add(KafkaContract.HEADER_MODEL_VERSION, utf8(routing.version));
        }
        if (routing.replyTo != null) {
            headers.add(KafkaContract.HEADER_REPLY_TO, utf8(routing.replyTo));
            headers.add(KafkaContract.HEADER_REPLY_PARTITION, utf8(Integer.toString(routing.replyPartition)));
        }
        if (routing.headerLength >= 0) {
            headers.add(KafkaContract.HEADER_CONTENT_TYPE, utf8(KafkaContract.CONTENT_TYPE_OIP_BINARY));
            headers.add(KafkaContract.HEADER_INFERENCE_HEADER_LENGTH, utf8(Integer.toString(routing.headerLength)));
        }
        if (routing.deadlineMs > 0) {
            headers.add(KafkaContract.HEADER_DEADLINE, utf8(Long.toString(routing.deadlineMs)));
        }
        if (onlinePriority != null && !routing.batchLine) {
            headers.add(KafkaContract.HEADER_PRIORITY, onlinePriority);
        }
        Span span = tracing == null ? null : tracing.send(topic, jobId, routing.model, routing.trace);
        TraceContext trace = span == null ? routing.trace : BridgeTracing.contextOf(span, routing.trace);
        if (trace != null) {
            headers.add(KafkaContract.HEADER_TRACEPARENT, utf8(trace.traceparent()));
            if (trace.tracestate() != null) {
                headers.add(KafkaContract.HEADER_TRACESTATE, utf8(trace.tracestate()));
            }
        }
        CompletableFuture<Void> sent = send(producer, new ProducerRecord<>(topic, null, null, utf8(jobId), body,
                headers));
        if (span != null) {
            sent.whenComplete((ok, error) -> {
                if (error != null) {
                    span.setStatus(StatusCode.ERROR, error.toString());
                }
                span.end();
            });
        }
        return sent;
    }

    /** Sends {@code record}; the future completes when the brokers have it, exceptionally when they could not. */
    static CompletableFuture<Void> send(Producer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        try {
            producer.send(record, (meta, error) -> {
                if (error != null) {
                    sent.completeExceptionally(error);
                } else {
                    sent.complete(null);
                }
            });
        } catch (RuntimeException e) {
            // send() throws when the producer is closed or metadata is unavailable for max.block.ms.
            sent.completeExceptionally(e);
        }
        return sent;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
