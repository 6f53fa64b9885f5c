package io.streaminfer.bridge.batch.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;

/**
 * A running batch's checkpoint, the value of its {@code <batch ID>/progress} record: which lines are done (their
 * output or error line is in a chunk written before this record) and where those chunks are. A replica that takes
 * the batch over resumes from it: lines done are skipped, the others are sent (again: the job answers a request ID
 * it has seen from its state, without running it twice). Lines are numbered from 0 in file order, blank lines not
 * counted. Compact whatever the batch's size: lines below {@link #low()} are all done, a bitmap covers those from
 * there to {@link #next()}, and none from there on is done. Not thread-safe: its run's thread owns it.
 */
public final class Progress {
    private final long total;
    private long completed;
    private long failed;
    private long low;
    private long next;
    private BitSet done; // bit i: line low + i
    private final Output output;
    private final Output errors;
    private Stop stop;

    /** Why lines were given up before they were answered: a cancel, or the completion window's end. */
    public enum Stop { CANCELLED, EXPIRED }

    /** One output file as far as it is written: its chunks, bytes and lines. */
    public static final class Output {
        private final List<Chunk> chunks;
        private long bytes;
        private long lines;

        Output(List<Chunk> chunks, long bytes, long lines) {
            this.chunks = new ArrayList<>(chunks);
            this.bytes = bytes;
            this.lines = lines;
        }

        public List<Chunk> chunks() {
            return List.copyOf(chunks);
        }

        public int chunkCount() {
            return chunks.size();
        }

        public long bytes() {
            return bytes;
        }

        public long lines() {
            return lines;
        }

        /** A chunk of {@code lineCount} lines written. */
        public void added(Chunk chunk, int byteCount, int lineCount) {
            chunks.add(chunk);
            bytes += byteCount;
            lines += lineCount;
        }
    }

    private Progress(long total, long completed, long failed, long low, long next, BitSet done, Output output,
            Output errors) {
        this.total = total;
        this.completed = completed;
        this.failed = failed;
        this.low = low;
        this.next = next;
        this.done = done;
        this.output = output;
        this.errors = errors;
    }

    public static Progress start(long total) {
        return new Progress(total, 0, 0, 0, 0, new BitSet(), new Output(List.of(), 0, 0),
                new Output(List.of(), 0, 0));
    }

    public long total() {
        return total;
    }

    public long completed() {
        return completed;
    }

    public long failed() {
        return failed;
    }

    public long low() {
        return low;
    }

    /** Lines from here on were never sent. */
    public long next() {
        return next;
    }

    public Output output() {
        return output;
    }

    public Output errors() {
        return errors;
    }

    /** Null while every line is meant to be answered. */
    public Stop stop() {
        return stop;
    }

    /** Lines are being given up: the batch will end cancelled (which wins) or expired. */
    public void stopped(Stop why) {
        if (stop != Stop.CANCELLED) {
            stop = why;
        }
    }

    public boolean isDone(long line) {
        return line < low || (line < next && done.get((int) (line - low)));
    }

    public boolean allDone() {
        return low >= total;
    }

    /** Lines up to {@code line} (exclusive) were sent or answered. */
    public void sentUpTo(long line) {
        next = Math.max(next, line);
    }

    /** {@code line}'s answer is in a written chunk; {@code succeeded}: in the output file, else the error file. */
    public void markDone(long line, boolean succeeded) {
        if (isDone(line)) {
            return;
        }
        next = Math.max(next, line + 1);
        done.set((int) (line - low));
        if (succeeded) {
            completed++;
        } else {
            failed++;
        }
        int shift = done.nextClearBit(0);
        if (shift > 0) {
            low += shift;
            done = done.get(shift, Math.max(shift, done.length()));
        }
    }

    public byte[] toJson(long nowMs) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("v", 1);
        o.put("total", total);
        o.put("completed", completed);
        o.put("failed", failed);
        o.put("low", low);
        o.put("next", next);
        o.put("done", Base64.getEncoder().encodeToString(done.toByteArray()));
        write(o.putObject("output"), output);
        write(o.putObject("errors"), errors);
        if (stop != null) {
            o.put("stop", stop.name());
        }
        o.put("at", nowMs);
        try {
            return OipJson.MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(ObjectNode o, Output out) {
        ArrayNode chunks = o.putArray("chunks");
        out.chunks.forEach(c -> chunks.addArray().add(c.offset()).add(c.key()));
        o.put("bytes", out.bytes);
        o.put("lines", out.lines);
    }

    public static Progress fromJson(byte[] json) {
        try {
            JsonNode o = OipJson.MAPPER.readTree(json);
            Progress p = new Progress(o.get("total").asLong(), o.get("completed").asLong(),
                    o.get("failed").asLong(), o.get("low").asLong(), o.get("next").asLong(),
                    BitSet.valueOf(Base64.getDecoder().decode(o.get("done").asText())), read(o.get("output")),
                    read(o.get("errors")));
            if (o.hasNonNull("stop")) {
                p.stop = Stop.valueOf(o.get("stop").asText());
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Output read(JsonNode o) {
        List<Chunk> chunks = new ArrayList<>();
        o.get("chunks").forEach(c -> chunks.add(new Chunk(c.get(0).asLong(), c.get(1).asText())));
        return new Output(chunks, o.get("bytes").asLong(), o.get("lines").asLong());
    }
}
