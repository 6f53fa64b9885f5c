package io.streaminfer.bridge.batch.feed;

import io.streaminfer.bridge.batch.store.Chunk;
import io.streaminfer.bridge.batch.store.FileStore;
import io.streaminfer.bridge.batch.store.Progress;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A running batch's output and error files as they grow: answered lines are buffered (any thread) and written as
 * chunks of whole lines at each checkpoint ({@link #flush}, the run's thread), which then marks them done in the
 * {@link Progress}. A line is done exactly when its chunk is on the brokers, so a checkpoint's chunks and its done
 * lines always agree, and a replica resuming from it writes each line once.
 */
final class OutputFiles {
    private final FileStore.Writer output;
    private final FileStore.Writer errors;
    private final int chunkBytes;
    private Pending out = new Pending();
    private Pending err = new Pending();

    /** Lines waiting for the next chunk: their bytes and where each ends. */
    private static final class Pending {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Long> lines = new ArrayList<>();
        final List<Integer> ends = new ArrayList<>();
    }

    OutputFiles(FileStore store, String outputFileId, String errorFileId) {
        this.output = store.writer(outputFileId);
        this.errors = store.writer(errorFileId);
        this.chunkBytes = store.chunkBytes();
    }

    int outputPartition() {
        return output.partition();
    }

    int errorPartition() {
        return errors.partition();
    }

    /** One line's output ({@code succeeded}) or error line, JSON without its {@code \n}. */
    synchronized void add(long line, boolean succeeded, byte[] json) {
        Pending p = succeeded ? out : err;
        p.bytes.write(json, 0, json.length);
        p.bytes.write('\n');
        p.lines.add(line);
        p.ends.add(p.bytes.size());
    }

    /** Bytes waiting for a chunk. */
    synchronized int buffered() {
        return out.bytes.size() + err.bytes.size();
    }

    /** Writes what waits as chunks and, once the brokers have them, marks its lines done in {@code progress}. */
    void flush(Progress progress) {
        Pending o;
        Pending e;
        synchronized (this) {
            o = out;
            e = err;
            out = new Pending();
            err = new Pending();
        }
        List<Written> written = new ArrayList<>();
        write(output, o, true, written);
        write(errors, e, false, written);
        for (Written w : written) {
            Chunk c = w.chunk().join();
            (w.succeeded() ? progress.output() : progress.errors()).added(c, w.bytes(), w.lines().size());
            for (long line : w.lines()) {
                progress.markDone(line, w.succeeded());
            }
        }
    }

    private record Written(CompletableFuture<Chunk> chunk, int bytes, List<Long> lines, boolean succeeded) { }

    /** Chunks of whole lines of at most chunk-bytes (or one line, when a line is larger). */
    private void write(FileStore.Writer writer, Pending p, boolean succeeded, List<Written> written) {
        byte[] all = p.bytes.toByteArray();
        int from = 0;
        int firstLine = 0;
        for (int i = 0; i < p.ends.size(); i++) {
            int end = p.ends.get(i);
            boolean last = i == p.ends.size() - 1;
            int nextEnd = last ? -1 : p.ends.get(i + 1);
            if (last || nextEnd - from > chunkBytes) {
                byte[] chunk = java.util.Arrays.copyOfRange(all, from, end);
                written.add(new Written(writer.chunk(chunk), chunk.length,
                        List.copyOf(p.lines.subList(firstLine, i + 1)), succeeded));
                from = end;
                firstLine = i + 1;
            }
        }
    }
}
