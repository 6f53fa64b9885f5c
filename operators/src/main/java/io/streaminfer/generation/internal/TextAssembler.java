package io.streaminfer.generation.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a sequence's token bytes into text that never has to be taken back: a character split across tokens waits
 * for its last byte, and text that could be the start of a stop sequence waits until it is known not to be one. A
 * completed stop sequence ends the text just before it, as OpenAI's API does.
 */
public final class TextAssembler {
    private final List<String> stop;
    private final int longestStop;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** Text decided so far; {@link #take()} hands out what it has not handed out yet. */
    private final StringBuilder decided = new StringBuilder();
    /** Text held back: it could still become a stop sequence. */
    private final StringBuilder held = new StringBuilder();
    /** The bytes of a character whose last bytes have not come yet. */
    private byte[] partial = new byte[0];
    private int taken;
    private boolean stopped;

    public TextAssembler(List<String> stop) {
        this.stop = List.copyOf(stop);
        int longest = 0;
        for (String s : stop) {
            longest = Math.max(longest, s.length());
        }
        this.longestStop = longest;
    }

    /**
     * Adds a token's bytes.
     *
     * @return true when a stop sequence is complete: the text ends before it, and nothing more is added
     */
    public boolean add(byte[] bytes) {
        if (stopped) {
            throw new IllegalStateException("the text ended at a stop sequence");
        }
        if (bytes.length == 0) {
            return false;
        }
        byte[] all = bytes;
        if (partial.length > 0) {
            all = new byte[partial.length + bytes.length];
            System.arraycopy(partial, 0, all, 0, partial.length);
            System.arraycopy(bytes, 0, all, partial.length, bytes.length);
        }
        int complete = completeLength(all);
        partial = complete == all.length ? new byte[0] : Arrays.copyOfRange(all, complete, all.length);
        if (complete > 0) {
            held.append(decode(all, complete));
        }
        if (longestStop == 0) {
            decided.append(held);
            held.setLength(0);
            return false;
        }
        int at = -1;
        for (String s : stop) {
            int i = held.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at >= 0) {
            decided.append(held, 0, at);
            held.setLength(0);
            partial = new byte[0];
            stopped = true;
            return true;
        }
        int keep = heldBack();
        decided.append(held, 0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return false;
    }

    /** The end of the sequence: what was held back is text after all (an unfinished character becomes U+FFFD). */
    public void finish() {
        decided.append(held);
        held.setLength(0);
        if (partial.length > 0) {
            decided.append('\uFFFD');
            partial = new byte[0];
        }
    }

    /** The text decided since the last call. */
    public String take() {
        String s = decided.substring(taken);
        taken = decided.length();
        return s;
    }

    /** All text decided so far, taken or not. */
    public String text() {
        return decided.toString();
    }

    public boolean stopped() {
        return stopped;
    }

    /** The longest end of {@code held} that begins a stop sequence (and is shorter than it). */
    private int heldBack() {
        int max = Math.min(held.length(), longestStop - 1);
        for (int k = max; k > 0; k--) {
            for (String s : stop) {
                if (k < s.length() && regionMatches(s, k)) {
                    return k;
                }
            }
        }
        return 0;
    }

    private boolean regionMatches(String s, int k) {
        int from = held.length() - k;
        for (int i = 0; i < k; i++) {
            if (held.charAt(from + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String decode(byte[] bytes, int length) {
        try {
            CharBuffer chars = utf8.reset().decode(ByteBuffer.wrap(bytes, 0, length));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("REPLACE decoding cannot fail", e);
        }
    }

    /**
     * How many leading bytes end on a character boundary: all of them, unless the last character's lead byte promises
     * more bytes than follow it.
     */
    static int completeLength(byte[] b) {
        int n = b.length;
        int i = n - 1;
        int continuation = 0;
        while (i >= 0 && continuation < 3 && (b[i] & 0xC0) == 0x80) {
            i--;
            continuation++;
        }
        if (i < 0) {
            return n; // only continuation bytes: malformed, decoded as replacement characters
        }
        int lead = b[i] & 0xFF;
        int expected;
        if (lead >= 0xC2 && lead <= 0xDF) {
            expected = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            expected = 3;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            expected = 4;
        } else {
            return n; // ASCII, or a byte no character starts with: nothing to wait for
        }
        return continuation + 1 < expected ? i : n;
    }
}
