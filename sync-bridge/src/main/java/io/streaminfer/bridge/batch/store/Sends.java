package io.streaminfer.bridge.batch.store;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A record sent, as a future of its offset: completes when the brokers have it, exceptionally when they refused. It
 * completes on a thread of its own, never the producer's I/O thread: a stage that sends again (a file's metadata once
 * its chunks are written) would block that thread waiting for metadata only it can fetch, until max.block.ms.
 */
final class Sends {
    private static final Executor COMPLETIONS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "batch-store-sends");
        t.setDaemon(true);
        return t;
    });

    private Sends() {}

    static CompletableFuture<Long> send(Producer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<Long> sent = new CompletableFuture<>();
        try {
            producer.send(record, (meta, error) -> {
                COMPLETIONS.execute(() -> {
                    if (error != null) {
                        sent.completeExceptionally(error);
                    } else {
                        sent.complete(meta.offset());
                    }
                });
            });
        } catch (RuntimeException e) {
            sent.completeExceptionally(e);
        }
        return sent;
    }
}
