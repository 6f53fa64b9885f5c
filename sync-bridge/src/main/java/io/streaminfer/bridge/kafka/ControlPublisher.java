package io.streaminfer.bridge.kafka;

import io.streaminfer.contract.ControlRecord;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes instructions about requests in flight to the control topic ({@link ControlRecord}, key = request ID), where
 * every generating subtask of the job reads them: a cancel ends the request at its next decoding step, or on arrival
 * when it comes first. Sending one twice does no harm.
 *
 * <pre>{@code
 * controls.cancel(jobId, "client disconnected");
 * }</pre>
 */
public final class ControlPublisher {
    private final Producer<byte[], byte[]> producer;
    private final String topic;

    public ControlPublisher(Producer<byte[], byte[]> producer, String topic) {
        this.producer = producer;
        this.topic = topic;
    }

    /** Completes when the brokers have the cancel; exceptionally when they could not take it. */
    public CompletableFuture<Void> cancel(String jobId, String reason) {
        ControlRecord c = ControlRecord.cancel(jobId, reason, System.currentTimeMillis());
        return RequestPublisher.send(producer, new ProducerRecord<>(topic, jobId.getBytes(StandardCharsets.UTF_8),
                c.toJson()));
    }
}
