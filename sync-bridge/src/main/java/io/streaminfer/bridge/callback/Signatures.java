package io.streaminfer.bridge.callback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 signatures of callback bodies. The header value is {@code sha256=<hex>} over the exact body bytes; the
 * body carries {@code sent_at} so a receiver can refuse old replays. Receivers verify with {@link #verify}.
 */
public final class Signatures {
    /** The header that carries the signature. */
    public static final String HEADER = "X-StreamInfer-Signature";
    private static final String PREFIX = "sha256=";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final SecretKeySpec key;

    public Signatures(String secret) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    public String sign(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal(body);
            StringBuilder sb = new StringBuilder(PREFIX.length() + 64).append(PREFIX);
            for (byte b : digest) {
                sb.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
            return sb.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Constant-time check of a received header value against the body. */
    public boolean verify(byte[] body, String headerValue) {
        if (headerValue == null) {
            return false;
        }
        return MessageDigest.isEqual(sign(body).getBytes(StandardCharsets.US_ASCII),
                headerValue.trim().getBytes(StandardCharsets.US_ASCII));
    }
}
