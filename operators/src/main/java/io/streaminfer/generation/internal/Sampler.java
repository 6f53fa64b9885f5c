package io.streaminfer.generation.internal;

import io.streaminfer.generation.SamplingParams;
import java.util.Arrays;

/**
 * Picks one token from one row of logits: greedy, or temperature with top-k and top-p. The random number of the
 * n-th completion token depends only on the sequence's seed and n (a counter-based generator), so a sequence samples
 * the same tokens whatever batch it runs in, and a resumed sequence goes on as the original would have.
 */
public final class Sampler {
    /** A token whose scaled logit is this far below the best has a probability under e^-40: left out. */
    private static final double NEGLIGIBLE = 40;

    private final int vocab;
    private final int[] endOfSequence;
    private final double[] scaled;
    private final int[] candidates;
    private final long[] keys;

    /** @param endOfSequence the tokens masked while a sequence may not end yet ({@code min_tokens}) */
    public Sampler(int vocab, int[] endOfSequence) {
        this.vocab = vocab;
        this.endOfSequence = endOfSequence.clone();
        this.scaled = new double[vocab];
        this.candidates = new int[vocab];
        this.keys = new long[vocab];
    }

    /**
     * The token for row {@code offset / vocab} of {@code logits}, or -1 when the row holds NaN (the model failed on
     * it). Not thread-safe: one sampler per engine loop.
     *
     * @param index the completion token's index in its sequence (0 for the first new token)
     * @param mayEnd false to mask the end-of-sequence tokens
     */
    public int pick(float[] logits, int offset, SamplingParams p, long seed, int index, boolean mayEnd) {
        if (!mayEnd) {
            for (int t : endOfSequence) {
                if (t >= 0 && t < vocab) {
                    logits[offset + t] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (p.greedy()) {
            return argmax(logits, offset);
        }
        double temperature = p.temperature();
        double best = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < vocab; t++) {
            float l = logits[offset + t];
            if (Float.isNaN(l)) {
                return -1;
            }
            double s = l / temperature;
            scaled[t] = s;
            if (s > best) {
                best = s;
            }
        }
        if (best == Double.NEGATIVE_INFINITY) {
            return -1; // every token masked: nothing to pick
        }
        int n = 0;
        for (int t = 0; t < vocab; t++) {
            if (scaled[t] >= best - NEGLIGIBLE) {
                candidates[n++] = t;
            }
        }
        boolean sorted = false;
        if (p.topK() > 0 && p.topK() < n) {
            n = sortDescending(n);
            sorted = true;
            n = p.topK();
        }
        double total = 0;
        double[] prob = new double[n];
        for (int i = 0; i < n; i++) {
            prob[i] = Math.exp(scaled[candidates[i]] - best);
            total += prob[i];
        }
        if (p.topP() < 1) {
            if (!sorted) {
                sortDescending(n);
                for (int i = 0; i < n; i++) {
                    prob[i] = Math.exp(scaled[candidates[i]] - best);
                }
            }
            double kept = 0;
            int k = 0;
            while (k < n && (k == 0 || kept < p.topP() * total)) {
                kept += prob[k++];
            }
            n = k;
            total = kept;
        }
        double u = uniform(seed, index) * total;
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += prob[i];
            if (u < cumulative) {
                return candidates[i];
            }
        }
        return candidates[n - 1]; // rounding: the last kept candidate
    }

    private int argmax(float[] logits, int offset) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < vocab; t++) {
            float l = logits[offset + t];
            if (Float.isNaN(l)) {
                return -1;
            }
            if (l > bestValue) {
                bestValue = l;
                best = t;
            }
        }
        return best;
    }

    /** Sorts the first {@code n} candidates by scaled logit, highest first, ties by lower id; returns n. */
    private int sortDescending(int n) {
        for (int i = 0; i < n; i++) {
            int t = candidates[i];
            // Higher values sort first: order by the negated value's sortable bits, then by id.
            long bits = Double.doubleToLongBits(-scaled[t]);
            bits ^= (bits >> 63) & 0x7fffffffffffffffL;
            keys[i] = (bits & 0xffffffffffe00000L) | t; // vocabularies stay below 2^21 tokens
        }
        Arrays.sort(keys, 0, n);
        for (int i = 0; i < n; i++) {
            candidates[i] = (int) (keys[i] & 0x1fffff);
        }
        return n;
    }

    /** A uniform number in [0, 1) that depends only on {@code seed} and {@code index} (SplitMix64). */
    static double uniform(long seed, int index) {
        long z = seed + 0x9E3779B97F4A7C15L * (index + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }
}
