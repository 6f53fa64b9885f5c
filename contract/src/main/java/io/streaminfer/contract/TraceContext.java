package io.streaminfer.contract;

/**
 * A W3C trace context (<a href="https://www.w3.org/TR/trace-context/">Trace Context</a>): the {@code traceparent}
 * of the caller's span and its optional {@code tracestate}, as HTTP headers, gRPC metadata and Kafka record headers
 * carry them. Parsing follows the spec: version {@code 00} (a later version is read by its first four fields, as the
 * spec asks), a 32-hex trace ID and a 16-hex parent ID, lower case, neither all zeros, and 2-hex flags; anything else
 * is no context at all ({@link #parse} returns null), never an error of the request.
 *
 * <pre>{@code
 * TraceContext t = TraceContext.parse(headers.get("traceparent"), headers.get("tracestate"));   // null: none
 * if (t != null && t.sampled()) { ... }
 * String out = t.withParent(childSpanId).traceparent();   // "00-<trace id>-<child span id>-01"
 * }</pre>
 *
 * @param traceId 32 lower-case hex digits, not all zero
 * @param parentId 16 lower-case hex digits, not all zero: the span of the caller
 * @param flags the trace flags; bit 0 is {@code sampled}
 * @param tracestate the vendor list, passed on unchanged; null when absent or blank
 */
public record TraceContext(String traceId, String parentId, int flags, String tracestate) {
    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";
    private static final int SAMPLED = 0x01;
    /** The spec's bound: a longer tracestate is dropped rather than passed on. */
    private static final int MAX_TRACESTATE = 512;

    public TraceContext {
        if (!isHex(traceId, 32) || !isHex(parentId, 16)) {
            throw new IllegalArgumentException("not a W3C trace ID and parent ID: " + traceId + ", " + parentId);
        }
        if (flags < 0 || flags > 0xff) {
            throw new IllegalArgumentException("trace flags are one byte: " + flags);
        }
        tracestate = cleanState(tracestate);
    }

    /** The context in {@code traceparent}, with {@code tracestate}; null when {@code traceparent} is absent or invalid. */
    public static TraceContext parse(String traceparent, String tracestate) {
        if (traceparent == null) {
            return null;
        }
        String s = traceparent.trim();
        // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters
        if (s.length() < 55 || s.charAt(2) != '-' || s.charAt(35) != '-' || s.charAt(52) != '-') {
            return null;
        }
        String version = s.substring(0, 2);
        if (!isHex(version, 2) || version.equals("ff")) {
            return null;
        }
        // Version 00 is exactly 55 characters; a later version may append fields after a '-'.
        if (version.equals("00") ? s.length() != 55 : s.length() > 55 && s.charAt(55) != '-') {
            return null;
        }
        String traceId = s.substring(3, 35);
        String parentId = s.substring(36, 52);
        String flags = s.substring(53, 55);
        if (!isHex(traceId, 32) || !isHex(parentId, 16) || !isHex(flags, 2)) {
            return null;
        }
        return new TraceContext(traceId, parentId, Integer.parseInt(flags, 16), tracestate);
    }

    /** The {@code traceparent} header value, version 00. */
    public String traceparent() {
        StringBuilder b = new StringBuilder(55).append("00-").append(traceId).append('-').append(parentId)
                .append('-');
        if (flags < 0x10) {
            b.append('0');
        }
        return b.append(Integer.toHexString(flags)).toString();
    }

    /** Whether the caller recorded its span: such a request is always traced where tracing is on. */
    public boolean sampled() {
        return (flags & SAMPLED) != 0;
    }

    /** The same trace, continued from span {@code spanId} (16 hex digits) of ours, with the same flags and state. */
    public TraceContext withParent(String spanId) {
        return new TraceContext(traceId, spanId, flags, tracestate);
    }

    /** Whether {@code s} is {@code length} lower-case hex digits, not all zero. */
    static boolean isHex(String s, int length) {
        if (s == null || s.length() != length) {
            return false;
        }
        boolean nonZero = length == 2; // versions and flags may be 00
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
            nonZero |= c != '0';
        }
        return nonZero;
    }

    private static String cleanState(String tracestate) {
        if (tracestate == null) {
            return null;
        }
        String t = tracestate.trim();
        return t.isEmpty() || t.length() > MAX_TRACESTATE ? null : t;
    }

    @Override
    public String toString() {
        return traceparent() + (tracestate == null ? "" : " " + tracestate);
    }
}
