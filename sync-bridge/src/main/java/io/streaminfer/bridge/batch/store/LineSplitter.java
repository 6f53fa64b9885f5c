package io.streaminfer.bridge.batch.store;

import java.io.ByteArrayOutputStream;

/**
 * Cuts JSONL bytes, fed in pieces of any size, into lines: {@code \n} ends a line, a {@code \r} before it is dropped,
 * blank lines (nothing or only spaces and tabs) are skipped but counted in the line numbers, a last line without
 * {@code \n} counts. Lines are numbered from 1 in the file (what errors name) and indexed from 0 among the non-blank
 * ones (what a batch counts). With {@code keep} false it only counts, copying nothing.
 */
public final class LineSplitter {
    /** Hears each non-blank line. */
    public interface Sink {
        /** @param bytes the line without its end; null when the splitter only counts */
        void line(long index, long lineNumber, byte[] bytes, int length);
    }

    private final boolean keep;
    private final Sink sink;
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private long lineNumber;
    private long index;
    private long currentLength;
    private boolean currentBlank = true;
    private long longest;

    public LineSplitter(boolean keep, Sink sink) {
        this.keep = keep;
        this.sink = sink;
    }

    public void feed(byte[] bytes, int from, int to) {
        int start = from;
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                append(bytes, start, i);
                end();
                start = i + 1;
            } else if (currentBlank && b != ' ' && b != '\t' && b != '\r') {
                currentBlank = false;
            }
        }
        append(bytes, start, to);
    }

    private void append(byte[] bytes, int from, int to) {
        if (to > from) {
            currentLength += to - from;
            if (keep) {
                current.write(bytes, from, to - from);
            }
        }
    }

    private void end() {
        lineNumber++;
        longest = Math.max(longest, currentLength);
        if (!currentBlank) {
            byte[] line = null;
            int length = (int) Math.min(Integer.MAX_VALUE, currentLength);
            if (keep) {
                line = current.toByteArray();
                length = line.length;
                if (length > 0 && line[length - 1] == '\r') {
                    length--;
                }
            }
            sink.line(index++, lineNumber, line, length);
        }
        current.reset();
        currentLength = 0;
        currentBlank = true;
    }

    /** The last line, if it had no {@code \n}. */
    public void finish() {
        if (currentLength > 0) {
            end();
        }
    }

    /** Non-blank lines so far. */
    public long lines() {
        return index;
    }

    /** Bytes of the longest line so far (unfinished one not counted). */
    public long longest() {
        return longest;
    }

    /** Bytes of the line being read. */
    public long currentLength() {
        return currentLength;
    }
}
