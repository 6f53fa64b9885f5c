package io.streaminfer.batching.internal;

/** Maps a request's cost (token length) to its bucket: the exponent of the smallest power of two >= cost. */
public final class CostBuckets {
    /** Enough for any int cost: 2^31 covers Integer.MAX_VALUE. */
    static final int COUNT = 32;

    private CostBuckets() {
    }

    public static int of(int cost) {
        return cost <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(cost - 1);
    }
}
