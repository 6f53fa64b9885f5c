package io.streaminfer.bridge.batch.store;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a file's chunks in order from its partition of the file-chunks topic, by their offsets: a seek where the
 * next chunk is not where the reader is, records of other files skipped. Blocking; one chunk (and what one poll
 * brought) in memory at a time. Closes its consumer.
 */
public final class ChunkReader implements AutoCloseable {
    private static final Duration POLL = Duration.ofMillis(500);
    private static final long CHUNK_TIMEOUT_MS = 30_000;

    private final Consumer<byte[], byte[]> consumer;
    private final TopicPartition tp;
    private final Iterator<Chunk> chunks;
    private final Deque<ConsumerRecord<byte[], byte[]>> polled = new ArrayDeque<>();
    private final String fileId;

    public ChunkReader(Consumer<byte[], byte[]> consumer, String topic, FileRecord file) {
        this.consumer = consumer;
        this.tp = new TopicPartition(topic, file.partition());
        this.chunks = List.copyOf(file.chunks()).iterator();
        this.fileId = file.id();
        consumer.assign(List.of(tp));
    }

    /** The next chunk's bytes; null after the last. */
    public byte[] next() {
        if (!chunks.hasNext()) {
            return null;
        }
        long wanted = chunks.next().offset();
        while (!polled.isEmpty() && polled.peekFirst().offset() < wanted) {
            polled.pollFirst();
        }
        if (polled.isEmpty() || polled.peekFirst().offset() != wanted) {
            polled.clear();
            consumer.seek(tp, wanted);
        }
        long giveUp = System.currentTimeMillis() + CHUNK_TIMEOUT_MS;
        while (true) {
            ConsumerRecord<byte[], byte[]> r = polled.pollFirst();
            if (r != null) {
                if (r.offset() == wanted) {
                    if (r.value() == null) {
                        throw new IllegalStateException("chunk at offset " + wanted + " of file " + fileId
                                + " was deleted");
                    }
                    return r.value();
                }
                if (r.offset() > wanted) {
                    throw new IllegalStateException("chunk at offset " + wanted + " of file " + fileId + " is gone "
                            + "(compacted away or expired by retention)");
                }
                continue;
            }
            if (System.currentTimeMillis() > giveUp) {
                throw new IllegalStateException("chunk at offset " + wanted + " of file " + fileId + " could not be "
                        + "read within " + CHUNK_TIMEOUT_MS + " ms");
            }
            for (ConsumerRecord<byte[], byte[]> p : consumer.poll(POLL)) {
                polled.addLast(p);
            }
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
