package io.streaminfer.batching.internal;

/**
 * Maps a request's largest row cost (a text's tokens) to its group: every cost up to 16 in group 0 (short texts cost
 * about the same either way), then one group per factor of about 1.41, so requests of one group pad each other by
 * less than that factor.
 */
public final class LengthBuckets {
    /** Enough for any int cost: group 1 + 2·log2(2^31 / 16) = 55. */
    static final int COUNT = 64;
    private static final int SHORT = 16;

    private LengthBuckets() {
    }

    public static int of(int cost) {
        if (cost <= SHORT) {
            return 0;
        }
        // floor(2·log2(cost/16)) from the exponent and whether the mantissa passes sqrt(2).
        double ratio = (double) cost / SHORT;
        int octave = Math.getExponent(ratio);
        double mantissa = ratio / Math.scalb(1.0, octave);
        return Math.min(COUNT - 1, 1 + 2 * octave + (mantissa >= Math.sqrt(2) ? 1 : 0));
    }
}
