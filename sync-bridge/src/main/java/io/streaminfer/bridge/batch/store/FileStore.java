package io.streaminfer.bridge.batch.store;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Files on Kafka: their bytes in chunks on the file-chunks topic (all of a file in the partition of its ID, keys never
 * written twice: {@link Chunk}), their metadata ({@link FileRecord}, naming the chunks) on the files topic. Both
 * topics are compacted: a file stays until it is deleted, which writes a tombstone for each of its records. Any
 * replica reads any file; none holds one in memory (a reader has one chunk at a time).
 *
 * <pre>{@code
 * FileStore.Writer w = store.writer(fileId);
 * Chunk c = w.chunk(bytes).join();            // the brokers have it
 * FileRecord f = store.save(new FileRecord(fileId, size, now, "in.jsonl", "batch", lines, w.partition(),
 *         List.of(c))).join();
 * try (ChunkReader r = store.read(f)) { for (byte[] b; (b = r.next()) != null; ) ... }
 * }</pre>
 */
public final class FileStore {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Producer<byte[], byte[]> producer;
    private final Supplier<Consumer<byte[], byte[]>> consumers;
    private final String filesTopic;
    private final String chunksTopic;
    private final int chunkBytes;
    private final Partitions partitions;
    private final MetaView view;

    public FileStore(Producer<byte[], byte[]> producer, Supplier<Consumer<byte[], byte[]>> consumers,
            String filesTopic, String chunksTopic, int chunkBytes, MetaView view) {
        this.producer = producer;
        this.consumers = consumers;
        this.filesTopic = filesTopic;
        this.chunksTopic = chunksTopic;
        this.chunkBytes = chunkBytes;
        this.partitions = new Partitions(producer);
        this.view = view;
    }

    /** Asks the partition counts now (a start-up step), so no HTTP handler waits on the brokers for them. */
    public void warmUp() {
        partitions.of(chunksTopic, "");
        partitions.of(filesTopic, "");
    }

    /** The bytes a chunk holds at most. */
    public int chunkBytes() {
        return chunkBytes;
    }

    /** A writer of chunks of file {@code fileId}, with keys of its own. */
    public Writer writer(String fileId) {
        return new Writer(fileId);
    }

    /** Writes chunks of one file under keys no other writer uses; thread-safe. */
    public final class Writer {
        private final String fileId;
        private final String token = HexFormat.of().formatHex(randomBytes());
        private final int partition;
        private final List<CompletableFuture<Chunk>> sent = new ArrayList<>();
        private int next;

        private Writer(String fileId) {
            this.fileId = fileId;
            this.partition = partitions.of(chunksTopic, fileId);
        }

        private static byte[] randomBytes() {
            byte[] b = new byte[6];
            RANDOM.nextBytes(b);
            return b;
        }

        public String fileId() {
            return fileId;
        }

        /** The partition of the file-chunks topic its chunks go to. */
        public int partition() {
            return partition;
        }

        /** Sends one chunk; the future completes when the brokers have it. */
        public synchronized CompletableFuture<Chunk> chunk(byte[] data) {
            String key = fileId + "/" + token + "/" + next++;
            CompletableFuture<Chunk> f = Sends.send(producer, new ProducerRecord<>(chunksTopic, partition, null,
                    utf8(key), data)).thenApply(offset -> new Chunk(offset, key));
            sent.add(f);
            return f;
        }

        /** Every chunk sent, in order, once the brokers have them all. */
        public CompletableFuture<List<Chunk>> written() {
            List<CompletableFuture<Chunk>> all;
            synchronized (this) {
                all = List.copyOf(sent);
            }
            return CompletableFuture.allOf(all.toArray(new CompletableFuture[0]))
                    .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
        }

        /** Gives the file up: a tombstone for each chunk sent. */
        public CompletableFuture<Void> abort() {
            List<CompletableFuture<Long>> tombstones = new ArrayList<>();
            synchronized (this) {
                for (int n = 0; n < next; n++) {
                    tombstones.add(Sends.send(producer, new ProducerRecord<>(chunksTopic, partition, null,
                            utf8(fileId + "/" + token + "/" + n), (byte[]) null)));
                }
            }
            return CompletableFuture.allOf(tombstones.toArray(new CompletableFuture[0]));
        }
    }

    /** Writes a file's metadata record; the file exists from then on (this replica sees it at once). */
    public CompletableFuture<FileRecord> save(FileRecord f) {
        return Sends.send(producer, new ProducerRecord<>(filesTopic, utf8(f.id()), f.toJson()))
                .thenApply(offset -> {
                    view.putFile(f);
                    return f;
                });
    }

    /** Deletes a file: its metadata first (it is gone for readers at once), then its chunks. */
    public CompletableFuture<Void> delete(FileRecord f) {
        return Sends.send(producer, new ProducerRecord<>(filesTopic, utf8(f.id()), null)).thenCompose(offset -> {
            view.removeFile(f.id());
            List<CompletableFuture<Long>> tombstones = new ArrayList<>();
            for (Chunk c : f.chunks()) {
                tombstones.add(Sends.send(producer, new ProducerRecord<>(chunksTopic, f.partition(), null,
                        utf8(c.key()), (byte[]) null)));
            }
            return CompletableFuture.allOf(tombstones.toArray(new CompletableFuture[0]));
        });
    }

    /** A reader of the file's chunks; close it. */
    public ChunkReader read(FileRecord f) {
        return new ChunkReader(consumers.get(), chunksTopic, f);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
