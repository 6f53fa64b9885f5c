package io.streaminfer.bridge.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class SignaturesTest {
    private static final String SECRET = "0123456789abcdef-callback-secret";
    private static final byte[] BODY = "{\"job_id\":\"j-1\",\"state\":\"SUCCEEDED\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signThenVerifyRoundTrips() {
        Signatures s = new Signatures(SECRET);
        String header = s.sign(BODY);
        assertThat(s.verify(BODY, header)).isTrue();
        // A receiver with the same secret (another instance) verifies it too.
        assertThat(new Signatures(SECRET).verify(BODY, header)).isTrue();
    }

    @Test
    void verifyToleratesSurroundingWhitespaceInHeader() {
        Signatures s = new Signatures(SECRET);
        assertThat(s.verify(BODY, "  " + s.sign(BODY) + " ")).isTrue();
    }

    @Test
    void tamperedBodyFails() {
        Signatures s = new Signatures(SECRET);
        String header = s.sign(BODY);
        byte[] tampered = BODY.clone();
        tampered[tampered.length - 3] ^= 1;
        assertThat(s.verify(tampered, header)).isFalse();
        byte[] longer = (new String(BODY, StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8);
        assertThat(s.verify(longer, header)).isFalse();
    }

    @Test
    void wrongSecretFails() {
        String header = new Signatures(SECRET).sign(BODY);
        assertThat(new Signatures(SECRET + "x").verify(BODY, header)).isFalse();
        assertThat(new Signatures("another-secret-of-length").sign(BODY)).isNotEqualTo(header);
    }

    @Test
    void nullOrMalformedHeaderFails() {
        Signatures s = new Signatures(SECRET);
        String header = s.sign(BODY);
        assertThat(s.verify(BODY, null)).isFalse();
        assertThat(s.verify(BODY, "")).isFalse();
        assertThat(s.verify(BODY, header.substring("sha256=".length()))).isFalse();
        assertThat(s.verify(BODY, header.toUpperCase())).isFalse();
        assertThat(s.verify(BODY, header.substring(0, header.length() - 1))).isFalse();
    }

    @Test
    void headerIsSha256PrefixAnd64LowercaseHex() {
        Signatures s = new Signatures(SECRET);
        assertThat(s.sign(BODY)).matches("sha256=[0-9a-f]{64}");
        assertThat(s.sign(new byte[0])).matches("sha256=[0-9a-f]{64}");
        // Deterministic for the same key and body.
        assertThat(s.sign(BODY)).isEqualTo(s.sign(BODY));
    }

    @Test
    void knownAnswerMatchesIndependentHmacSha256() throws Exception {
        String key = "key";
        byte[] body = "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));

        assertThat(new Signatures(key).sign(body)).isEqualTo(expected);
        // The published RFC-style vector for this key/message (Wikipedia HMAC example).
        assertThat(expected).isEqualTo(
                "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    }

    @Test
    void knownAnswerWithNonAsciiSecretAndBody() throws Exception {
        String key = "sécret-ключ-🔑";
        byte[] body = "{\"text\":\"naïve café\"}".getBytes(StandardCharsets.UTF_8);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        assertThat(new Signatures(key).sign(body)).isEqualTo(expected);
        assertThat(new Signatures(key).verify(body, expected)).isTrue();
    }
}
