package io.streaminfer.bridge.infer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The configured API tokens, checked the same way for HTTP headers and gRPC metadata: {@code authorization: Bearer
 * <token>} or {@code x-api-key: <token>}, compared in constant time. With no tokens, everything passes.
 */
public final class Credentials {
    /** What a presented credential amounts to. */
    public enum Verdict { ACCEPTED, MISSING, REJECTED }

    private final List<byte[]> tokens;

    public Credentials(List<String> tokens) {
        this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    public boolean required() {
        return !tokens.isEmpty();
    }

    /** @param authorization the Authorization header or metadata value; {@code apiKey} the X-API-Key one */
    public Verdict check(String authorization, String apiKey) {
        if (tokens.isEmpty()) {
            return Verdict.ACCEPTED;
        }
        String presented = null;
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = authorization.substring(7).trim();
        }
        if (presented == null) {
            presented = apiKey;
        }
        if (presented == null || presented.isEmpty()) {
            return Verdict.MISSING;
        }
        byte[] p = presented.getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] t : tokens) {
            ok |= MessageDigest.isEqual(t, p); // no early exit: the time taken says nothing about which token
        }
        return ok ? Verdict.ACCEPTED : Verdict.REJECTED;
    }
}
