package io.streaminfer.bridge.batch.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a batch's records to the batches topic, all of one batch in the partition of its ID, so that the replica
 * that owns the partition sees every record of its batches. Each write shows in this replica's {@link MetaView} once
 * the brokers have it.
 */
public final class BatchLog {
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final Partitions partitions;
    private final MetaView view;

    public BatchLog(Producer<byte[], byte[]> producer, String topic, MetaView view) {
        this.producer = producer;
        this.topic = topic;
        this.partitions = new Partitions(producer);
        this.view = view;
    }

    /** Asks the partition count now (a start-up step), so no HTTP handler waits on the brokers for it. */
    public void warmUp() {
        partitions.of(topic, "");
    }

    /** The partition of the batches topic that holds {@code batchId}'s records. */
    public int partition(String batchId) {
        return partitions.of(topic, batchId);
    }

    public CompletableFuture<BatchRecord> save(BatchRecord b) {
        return send(b.id(), b.id(), b.toJson()).thenApply(o -> {
            view.putBatch(b);
            return b;
        });
    }

    public CompletableFuture<Void> progress(String batchId, Progress p) {
        byte[] json = p.toJson(System.currentTimeMillis());
        return send(batchId, batchId + BatchKeys.PROGRESS, json).thenAccept(o -> view.putProgress(batchId, json));
    }

    /** A cancel, at {@code atMs}; the owner of the batch hears it and stops feeding. */
    public CompletableFuture<Void> cancel(String batchId, long atMs) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("v", 1);
        o.put("at", atMs);
        byte[] json;
        try {
            json = OipJson.MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return send(batchId, batchId + BatchKeys.CANCEL, json).thenAccept(x -> view.putCancel(batchId, atMs));
    }

    /** A cancel record's time, epoch ms. */
    static long cancelAt(byte[] json) {
        try {
            return OipJson.MAPPER.readTree(json).path("at").asLong();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CompletableFuture<Long> send(String batchId, String key, byte[] value) {
        return Sends.send(producer, new ProducerRecord<>(topic, partition(batchId), null,
                key.getBytes(StandardCharsets.UTF_8), value));
    }
}
