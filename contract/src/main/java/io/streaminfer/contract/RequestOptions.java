package io.streaminfer.contract;

import java.util.Map;

/**
 * The per-request options that OIP leaves to {@code parameters}, read in one place.
 *
 * <ul>
 *   <li>{@code priority}: integer; as in Triton, 1 is the most urgent, larger numbers run later, and 0 or absent
 *       means the default level, which runs after every explicit one.</li>
 *   <li>{@code deadline_ms}: absolute deadline, epoch milliseconds; or {@code timeout}: relative, in microseconds
 *       (Triton's unit), counted from when the request was produced.</li>
 *   <li>{@code callback_url}: where the bridge POSTs the final result (async jobs).</li>
 * </ul>
 */
public final class RequestOptions {
    public static final String PRIORITY = "priority";
    public static final String DEADLINE_MS = "deadline_ms";
    public static final String TIMEOUT_US = "timeout";
    public static final String CALLBACK_URL = "callback_url";

    /** Priority given to requests that name none: after every explicit level, as in Triton. */
    public static final int DEFAULT_PRIORITY = Integer.MAX_VALUE;

    private final int priority;
    private final long deadlineMs;
    private final String callbackUrl;

    private RequestOptions(int priority, long deadlineMs, String callbackUrl) {
        this.priority = priority;
        this.deadlineMs = deadlineMs;
        this.callbackUrl = callbackUrl;
    }

    /**
     * Reads the options of a request produced at {@code producedAtMs}.
     *
     * @throws InferenceException (INVALID_INPUT) when a parameter has the wrong type
     */
    public static RequestOptions of(Map<String, Object> parameters, long producedAtMs) {
        int priority = DEFAULT_PRIORITY;
        Object p = parameters.get(PRIORITY);
        if (p != null) {
            long v = integral(p, PRIORITY);
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw InferenceException.invalidInput("parameters.priority must be an integer from 0 to "
                        + Integer.MAX_VALUE + ", got " + v);
            }
            priority = v == 0 ? DEFAULT_PRIORITY : (int) v;
        }
        long deadline = Long.MAX_VALUE;
        Object d = parameters.get(DEADLINE_MS);
        if (d != null) {
            deadline = integral(d, DEADLINE_MS);
        }
        Object t = parameters.get(TIMEOUT_US);
        if (t != null) {
            long us = integral(t, TIMEOUT_US);
            if (us <= 0) {
                throw InferenceException.invalidInput("parameters.timeout (microseconds) must be positive, got " + us);
            }
            deadline = Math.min(deadline, producedAtMs + Math.max(1, us / 1000));
        }
        Object cb = parameters.get(CALLBACK_URL);
        if (cb != null && !(cb instanceof String)) {
            throw InferenceException.invalidInput("parameters.callback_url must be a string URL");
        }
        return new RequestOptions(priority, deadline, (String) cb);
    }

    private static long integral(Object value, String name) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof java.math.BigInteger) {
            java.math.BigInteger big = (java.math.BigInteger) value;
            if (big.bitLength() < 64) {
                return big.longValue();
            }
            throw InferenceException.invalidInput("parameters." + name + " = " + value + " is out of range");
        }
        if (value instanceof String) {
            try {
                return Long.parseLong((String) value);
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw InferenceException.invalidInput("parameters." + name + " must be an integer, got " + value);
    }

    public int priority() {
        return priority;
    }

    /** Epoch milliseconds after which the result is no use to the caller; {@link Long#MAX_VALUE} when none. */
    public long deadlineMs() {
        return deadlineMs;
    }

    public boolean hasDeadline() {
        return deadlineMs != Long.MAX_VALUE;
    }

    public boolean expiredAt(long nowMs) {
        return nowMs > deadlineMs;
    }

    public String callbackUrl() {
        return callbackUrl;
    }
}
