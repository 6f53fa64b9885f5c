package io.streaminfer.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder for tests of scheduling: no weights, its logits a pure function of a row's last token and position, so
 * every row's tokens are the same alone or in any batch. It records each call (its rows and tokens), can be told to
 * fail on a token ({@link #poison}), to end a row with end-of-sequence at a position ({@link #eosAt}), and to make
 * greedy choices ({@link #peaked}) or spread ones for sampling.
 */
public class FakeDecoder implements DecoderModel {
    public static final int EOS = 0;

    /** One model call: {@code prefill} tokens of one row, or a step of {@code rows} rows. */
    public record Call(boolean prefill, int rows, int tokens) { }

    private final int vocabulary;
    private final int context;
    private final long bytesPerToken;
    public final List<Call> calls = new ArrayList<>();
    /** End-of-sequence is the top choice for a row whose first token is the key, from this position on. */
    public final Map<Integer, Integer> eosAt = new HashMap<>();
    public int poison = -1;
    public boolean peaked = true;

    public FakeDecoder(int vocabulary, int context, long bytesPerToken) {
        this.vocabulary = vocabulary;
        this.context = context;
        this.bytesPerToken = bytesPerToken;
    }

    private static final class Rows implements Cache {
        final List<int[]> rows = new ArrayList<>();
        final long bytesPerToken;

        Rows(long bytesPerToken) {
            this.bytesPerToken = bytesPerToken;
        }

        @Override
        public int rows() {
            return rows.size();
        }

        @Override
        public long bytes() {
            int longest = 0;
            for (int[] r : rows) {
                longest = Math.max(longest, r.length);
            }
            return rows.size() * (long) longest * bytesPerToken;
        }

        @Override
        public void close() { }
    }

    @Override
    public int vocabularySize() {
        return vocabulary;
    }

    @Override
    public int contextLength() {
        return context;
    }

    @Override
    public long cacheBytesPerToken() {
        return bytesPerToken;
    }

    @Override
    public Cache newCache() {
        return new Rows(bytesPerToken);
    }

    @Override
    public float[] extend(Cache single, int[] tokens, int start) {
        Rows c = (Rows) single;
        calls.add(new Call(true, 1, tokens.length));
        for (int t : tokens) {
            if (t == poison) {
                throw new IllegalStateException("poisoned token " + t);
            }
        }
        int[] row = c.rows.isEmpty() ? new int[0] : c.rows.get(0);
        if (row.length != start) {
            throw new AssertionError("extend at " + start + " of a row of " + row.length);
        }
        int[] grown = Arrays.copyOf(row, row.length + tokens.length);
        System.arraycopy(tokens, 0, grown, row.length, tokens.length);
        if (c.rows.isEmpty()) {
            c.rows.add(grown);
        } else {
            c.rows.set(0, grown);
        }
        return logits(grown);
    }

    @Override
    public float[] step(Cache batch, int[] tokens, int[] positions) {
        Rows c = (Rows) batch;
        calls.add(new Call(false, c.rows.size(), tokens.length));
        if (tokens.length != c.rows.size()) {
            throw new AssertionError(tokens.length + " tokens for " + c.rows.size() + " rows");
        }
        for (int t : tokens) {
            if (t == poison) {
                throw new IllegalStateException("poisoned token " + t);
            }
        }
        float[] out = new float[tokens.length * vocabulary];
        for (int r = 0; r < tokens.length; r++) {
            int[] row = c.rows.get(r);
            if (row.length != positions[r]) {
                throw new AssertionError("row " + r + " fed at " + positions[r] + " but holds " + row.length);
            }
            int[] grown = Arrays.copyOf(row, row.length + 1);
            grown[row.length] = tokens[r];
            c.rows.set(r, grown);
            System.arraycopy(logits(grown), 0, out, r * vocabulary, vocabulary);
        }
        return out;
    }

    private float[] logits(int[] row) {
        float[] l = new float[vocabulary];
        int last = row[row.length - 1];
        int position = row.length;
        Integer eos = eosAt.get(row[0]);
        for (int t = 0; t < vocabulary; t++) {
            long h = (last * 1_000_003L + position * 7919L + t * 104_729L) % 9973;
            l[t] = peaked ? 0 : (float) (h / 1000.0);
        }
        if (peaked) {
            l[1 + Math.floorMod(last * 7 + position, vocabulary - 1)] = 10; // never end-of-sequence by itself
        }
        if (eos != null && position >= eos) {
            l[EOS] = 100;
        }
        return l;
    }

    @Override
    public void join(Cache batch, List<Cache> others) {
        for (Cache other : others) {
            ((Rows) batch).rows.addAll(((Rows) other).rows);
            ((Rows) other).rows.clear();
        }
    }

    @Override
    public void retain(Cache batch, int[] rows) {
        Rows c = (Rows) batch;
        List<int[]> kept = new ArrayList<>();
        for (int r : rows) {
            kept.add(c.rows.get(r));
        }
        c.rows.clear();
        c.rows.addAll(kept);
    }

    @Override
    public Cache copyRow(Cache batch, int row) {
        Rows c = new Rows(bytesPerToken);
        c.rows.add(((Rows) batch).rows.get(row).clone());
        return c;
    }

    @Override
    public long worstCaseBytes(int rows, int length) {
        return rows * (long) (length + 1) * bytesPerToken;
    }

    @Override
    public void close() { }

    /** Byte tokens: token t (1-255) stands for the byte t; 0 is end-of-sequence; above 255, "<t>". */
    public static TokenText byteText(int vocabulary) {
        return new TokenText() {
            @Override
            public int size() {
                return vocabulary;
            }

            @Override
            public byte[] bytes(int token) {
                if (token == EOS) {
                    return new byte[0];
                }
                return token < 256 ? new byte[] {(byte) token} : ("<" + token + ">").getBytes();
            }

            @Override
            public boolean endsSequence(int token) {
                return token == EOS;
            }
        };
    }
}
