package io.streaminfer.contract;

import java.math.BigInteger;

/**
 * Writes a finite float as the shortest decimal that reads back as the same float, in {@code Float.toString}'s
 * layout (plain from 10^-3 to 10^7, else {@code 1.0E-4} style) and byte for byte what Jackson's fast float writer
 * gives, straight into a byte array (ASCII). Why not Jackson's: its {@code writeNumber(float)} builds a String per
 * element, about 85 ns a float here, and a response of 384 floats is then ~35 µs of the task manager's CPU per
 * request; this takes about half of that per float.
 *
 * <p>The algorithm is Schubfach (R. Giulietti, "The Schubfach way to render doubles", 2020; the float case of the
 * JDK's and Jackson's {@code FloatToDecimal}). Its one table, 10^-k to 126 bits, is computed here with BigInteger at
 * class load; tests hold its output to Jackson's over millions of floats (every binade, so every entry in use), edge
 * cases included.
 */
final class FloatDecimal {
    /** The most bytes one float takes: {@code -1.23456789E-45}. */
    static final int MAX_CHARS = 15;

    private static final int P = 24;
    private static final int Q_MIN = -149;
    private static final int C_MIN = 1 << (P - 1);
    /** Below this significand a subnormal is scaled by 10 first (its shortest decimal needs the extra digit). */
    private static final int C_TINY = 8;
    /** Digits of the longest shortest decimal of a float. */
    private static final int H = 9;
    private static final long MASK_32 = (1L << 32) - 1;
    private static final int K_MIN = -46;
    private static final int K_MAX = 32;
    /** The upper 63 bits of floor(10^-k · 2^-r) + 1, where r makes it 126 bits long, for k in [K_MIN, K_MAX]. */
    private static final long[] G1 = table();
    private static final int[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
        1_000_000_000};

    private FloatDecimal() {}

    /** Writes {@code v}, which must be finite, at {@code out[at]}; returns the index after it. */
    static int write(float v, byte[] out, int at) {
        int bits = Float.floatToRawIntBits(v);
        int t = bits & (C_MIN - 1);
        int bq = (bits >>> (P - 1)) & 0xFF;
        if (bits < 0) {
            out[at++] = '-';
        }
        if (bq != 0) {
            int mq = -Q_MIN + 1 - bq;
            int c = C_MIN | t;
            if (0 < mq && mq < P) {
                int f = c >> mq;
                if (f << mq == c) {
                    return chars(f, 0, out, at); // an integer below 2^24: its digits, exactly
                }
            }
            return decimal(-mq, c, 0, out, at);
        }
        if (t != 0) {
            return t < C_TINY ? decimal(Q_MIN, 10 * t, -1, out, at) : decimal(Q_MIN, t, 0, out, at);
        }
        out[at] = '0';
        out[at + 1] = '.';
        out[at + 2] = '0';
        return at + 3;
    }

    /** The shortest decimal in the rounding interval of c · 2^q, closest to it; dk: c was scaled by 10^-dk. */
    private static int decimal(int q, int c, int dk, byte[] out, int at) {
        int parity = c & 1;
        long cb = (long) c << 2;
        long cbr = cb + 2;
        long cbl;
        int k;
        if (c != C_MIN || q == Q_MIN) {
            cbl = cb - 2;
            k = flog10pow2(q);
        } else {
            cbl = cb - 1; // at a power of two the interval below is half as wide
            k = flog10threeQuartersPow2(q);
        }
        int h = q + flog2pow10(-k) + 33;
        long g = G1[k - K_MIN] + 1;
        int vb = rop(g, cb << h);
        int vbl = rop(g, cbl << h);
        int vbr = rop(g, cbr << h);
        int s = vb >> 2;
        if (s >= 100) {
            // One digit fewer first: the shortest decimal wins when only one of its neighbours is inside.
            int sp10 = 10 * (int) (s * 1_717_986_919L >>> 34);
            int tp10 = sp10 + 10;
            boolean upin = vbl + parity <= sp10 << 2;
            boolean wpin = (tp10 << 2) + parity <= vbr;
            if (upin != wpin) {
                return chars(upin ? sp10 : tp10, k, out, at);
            }
        }
        int t = s + 1;
        boolean uin = vbl + parity <= s << 2;
        boolean win = (t << 2) + parity <= vbr;
        if (uin != win) {
            return chars(uin ? s : t, k + dk, out, at);
        }
        int cmp = vb - ((s + t) << 1);
        return chars(cmp < 0 || cmp == 0 && (s & 1) == 0 ? s : t, k + dk, out, at);
    }

    /** Rounds g · cp / 2^127 to odd, as Schubfach needs: exact enough for every float. */
    private static int rop(long g, long cp) {
        long x1 = Math.multiplyHigh(g, cp);
        long vbp = x1 >>> 31;
        return (int) (vbp | ((x1 & MASK_32) + MASK_32) >>> 32);
    }

    /** Writes f · 10^e (0 &lt; f &lt; 10^9) in Float.toString's layout, trailing zeros left out. */
    private static int chars(int f, int e, byte[] out, int at) {
        int len = flog10pow2(Integer.SIZE - Integer.numberOfLeadingZeros(f));
        if (f >= POW10[len]) {
            len++;
        }
        f *= POW10[H - len]; // nine digits d1..d9: the value is 0.d1..d9 · 10^exp
        int exp = e + len;
        int d1 = (int) (f * 1_441_151_881L >>> 57); // f / 10^8
        int rest = f - 100_000_000 * d1;
        if (0 < exp && exp <= 7) {
            out[at] = (byte) ('0' + d1);
            eightDigits(rest, out, at + 1);
            for (int i = at + 8; i >= at + exp; i--) {
                out[i + 1] = out[i]; // room for the point after the integer part's digits
            }
            out[at + exp] = '.';
            return stripZeros(out, at + 10, at + exp + 2);
        }
        if (-3 < exp && exp <= 0) {
            out[at++] = '0';
            out[at++] = '.';
            for (int i = exp; i < 0; i++) {
                out[at++] = '0';
            }
            out[at] = (byte) ('0' + d1);
            eightDigits(rest, out, at + 1);
            return stripZeros(out, at + 9, at + 1);
        }
        out[at] = (byte) ('0' + d1);
        out[at + 1] = '.';
        eightDigits(rest, out, at + 2);
        int end = stripZeros(out, at + 10, at + 3);
        out[end++] = 'E';
        int x = exp - 1;
        if (x < 0) {
            out[end++] = '-';
            x = -x;
        }
        if (x >= 10) {
            out[end++] = (byte) ('0' + x / 10);
        }
        out[end++] = (byte) ('0' + x % 10);
        return end;
    }

    /** The end of {@code out[..end)} without its trailing zeros, never before {@code min}. */
    private static int stripZeros(byte[] out, int end, int min) {
        while (end > min && out[end - 1] == '0') {
            end--;
        }
        return end;
    }

    /** {@code v} (below 10^8) as eight digits, leading zeros included, two at a time. */
    private static void eightDigits(int v, byte[] out, int at) {
        int hi = v / 10_000;
        int lo = v - hi * 10_000;
        twoDigits(hi / 100, out, at);
        twoDigits(hi % 100, out, at + 2);
        twoDigits(lo / 100, out, at + 4);
        twoDigits(lo % 100, out, at + 6);
    }

    private static void twoDigits(int v, byte[] out, int at) {
        out[at] = (byte) ('0' + v / 10);
        out[at + 1] = (byte) ('0' + v % 10);
    }

    /** floor(q · log10(2)), for |q| within the range of floats' exponents. */
    static int flog10pow2(int q) {
        return (int) (q * 661_971_961_083L >> 41);
    }

    /** floor(log10(3/4 · 2^q)). */
    static int flog10threeQuartersPow2(int q) {
        return (int) (q * 661_971_961_083L - 274_743_187_321L >> 41);
    }

    /** floor(e · log2(10)). */
    static int flog2pow10(int e) {
        return (int) (e * 913_124_641_741L >> 38);
    }

    /** The upper 63 bits of g(k) for each k: see {@link #g1}. */
    private static long[] table() {
        long[] t = new long[K_MAX - K_MIN + 1];
        for (int k = K_MIN; k <= K_MAX; k++) {
            t[k - K_MIN] = g1(k);
        }
        return t;
    }

    /** 10^-k = β · 2^r with 2^125 &lt;= β &lt; 2^126; g = floor(β) + 1; its upper 63 bits. */
    static long g1(int k) {
        BigInteger beta;
        if (k <= 0) {
            BigInteger n = BigInteger.TEN.pow(-k);
            int r = n.bitLength() - 126;
            beta = r >= 0 ? n.shiftRight(r) : n.shiftLeft(-r);
        } else {
            BigInteger d = BigInteger.TEN.pow(k);
            int s = 125 + d.bitLength();
            beta = BigInteger.ONE.shiftLeft(s).divide(d);
            while (beta.bitLength() > 126) {
                s--;
                beta = BigInteger.ONE.shiftLeft(s).divide(d);
            }
            while (beta.bitLength() < 126) {
                s++;
                beta = BigInteger.ONE.shiftLeft(s).divide(d);
            }
        }
        return beta.add(BigInteger.ONE).shiftRight(63).longValueExact();
    }
}
