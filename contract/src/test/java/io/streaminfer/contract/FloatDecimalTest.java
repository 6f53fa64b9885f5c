package io.streaminfer.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatDecimal} against Jackson's fast float writer (what OIP JSON held before it, so results keep their
 * bytes) and against the JDK's parser (every text reads back as the same float). An exhaustive run over all 2^31
 * non-negative finite floats matched too (a one-off, too long for a unit test); here every binade, the layout's
 * boundaries and a few million others.
 */
class FloatDecimalTest {
    private final byte[] buffer = new byte[FloatDecimal.MAX_CHARS];

    private String ours(float v) {
        return new String(buffer, 0, FloatDecimal.write(v, buffer, 0), StandardCharsets.US_ASCII);
    }

    private void check(float v) {
        if (!Float.isFinite(v)) {
            return; // not its job: OIP JSON writes those through Jackson (see the NaN test)
        }
        String expected = FloatToDecimal.toString(v);
        String actual = ours(v);
        if (!expected.equals(actual)) {
            // One failing value is enough to read; assertThat on millions would be slow.
            assertThat(actual).as("bits 0x%08x", Float.floatToRawIntBits(v)).isEqualTo(expected);
        }
    }

    @Test
    void edgesOfTheFloats() {
        for (float v : new float[] {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Math.nextDown(Float.MIN_NORMAL), Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 0.1f, 0.2f, 0.3f, 1f / 3,
            2f / 3, (float) Math.PI, (float) Math.E, 16_777_216f, 16_777_217f, 33_554_432f, 1e-45f, 7e-45f, 8e-45f,
            1.17549435E-38f, 3.4028235E38f, 123_456_789f, 1.0E7f, 9_999_999f, 0.001f, 0.00099999994f}) {
            check(v);
            check(Math.nextUp(v));
            check(Math.nextDown(v));
        }
        assertThat(ours(0f)).isEqualTo("0.0");
        assertThat(ours(-0f)).isEqualTo("-0.0");
        assertThat(ours(1f)).isEqualTo("1.0");
        assertThat(ours(0.1f)).isEqualTo("0.1");
        assertThat(ours(1.0E7f)).isEqualTo("1.0E7");
        assertThat(ours(9_999_999f)).isEqualTo("9999999.0");
        assertThat(ours(0.001f)).isEqualTo("0.001");
        assertThat(ours(1.0E-4f)).isEqualTo("1.0E-4");
        assertThat(ours(Float.MIN_VALUE)).isEqualTo("1.4E-45");
        assertThat(ours(-Float.MAX_VALUE)).isEqualTo("-3.4028235E38");
        assertThat(ours(-123.456f)).isEqualTo("-123.456");
    }

    @Test
    void powersOfTenAndTheirNeighboursAcrossTheRange() {
        for (int e = -46; e <= 39; e++) {
            float v = Float.parseFloat("1e" + e);
            check(v);
            check(Math.nextUp(v));
            check(Math.nextDown(v));
            check(-v);
        }
    }

    @Test
    void everyBinadeWithSignificandsAcrossIt() {
        for (int bq = 0; bq < 255; bq++) {
            for (int t = 0; t < (1 << 23); t += 2039) {
                check(Float.intBitsToFloat(bq << 23 | t));
            }
            for (int t : new int[] {0, 1, 2, 3, 7, 8, 9, (1 << 23) - 2, (1 << 23) - 1}) {
                check(Float.intBitsToFloat(bq << 23 | t));
                check(-Float.intBitsToFloat(bq << 23 | t));
            }
        }
    }

    @Test
    void integersUpToTwoToTheTwentyFiveAndRandomBits() {
        for (int i = 0; i <= 1 << 25; i += 3) {
            check(i);
        }
        SplittableRandom random = new SplittableRandom(13);
        for (int i = 0; i < 3_000_000; i++) {
            float v = Float.intBitsToFloat(random.nextInt());
            if (Float.isFinite(v)) {
                check(v);
            }
        }
    }

    @Test
    void everyTextReadsBackAsTheSameFloat() {
        SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < 500_000; i++) {
            float v = Float.intBitsToFloat(random.nextInt());
            if (Float.isFinite(v)) {
                assertThat(Float.floatToRawIntBits(Float.parseFloat(ours(v)))).isEqualTo(Float.floatToRawIntBits(v));
            }
        }
    }

    @Test
    void tensorJsonIsByteForByteJacksonsAtEverySize() throws Exception {
        SplittableRandom random = new SplittableRandom(19);
        for (int n : new int[] {0, 1, 2, 255, 256, 257, 383, 384, 1024, 5000}) {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = i % 97 == 5 ? (float) i : (float) (random.nextGaussian() * Math.pow(10, i % 13 - 6));
            }
            InferenceResponse r = new InferenceResponse("m", "1", "r", null,
                    List.of(Tensor.ofFloats("embedding", new long[] {1, n}, values)));
            assertThat(written(r)).as("%d floats", n).isEqualTo(jacksonResponse(r));
        }
    }

    @Test
    void nanAndInfinityAreWrittenAsJacksonDoes() throws Exception {
        Tensor t = Tensor.ofFloats("x", new long[] {4}, new float[] {1.5f, Float.NaN, Float.POSITIVE_INFINITY, -2f});
        InferenceResponse r = new InferenceResponse("m", "1", "r", null, List.of(t));
        assertThat(written(r)).isEqualTo(jacksonResponse(r)).contains("\"NaN\"");
    }

    @Test
    void fp16TensorsTakeTheSamePathAndParametersStayInPlace() throws Exception {
        Tensor t = new Tensor("h", Datatype.FP16, new long[] {3}, new float[] {0.5f, -0.25f, 65504f},
                Map.of("unit", "x"));
        InferenceResponse r = new InferenceResponse("m", null, null, null, List.of(t));
        String json = written(r);
        assertThat(json).isEqualTo(jacksonResponse(r));
        InferenceResponse back = OipJson.parseResponse(json.getBytes(StandardCharsets.UTF_8));
        assertThat(back.outputs().get(0).floats()).containsExactly(0.5f, -0.25f, 65504f);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The response as Jackson's generator writes it element by element (how OipJson wrote floats before). */
    private static String jacksonResponse(InferenceResponse r) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = OipJson.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("model_name", r.modelName());
            if (r.modelVersion() != null) {
                g.writeStringField("model_version", r.modelVersion());
            }
            if (r.id() != null) {
                g.writeStringField("id", r.id());
            }
            g.writeArrayFieldStart("outputs");
            for (Tensor t : r.outputs()) {
                g.writeStartObject();
                g.writeStringField("name", t.name());
                g.writeStringField("datatype", t.datatype().name());
                g.writeArrayFieldStart("shape");
                for (long d : t.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                if (!t.parameters().isEmpty()) {
                    g.writeFieldName("parameters");
                    OipJson.MAPPER.writeValue(g, t.parameters());
                }
                g.writeArrayFieldStart("data");
                for (float v : t.floats()) {
                    g.writeNumber(v);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String written(InferenceResponse r) {
        return text(OipJson.writeResponse(r));
    }
}
