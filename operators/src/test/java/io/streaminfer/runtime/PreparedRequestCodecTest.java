package io.streaminfer.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.internal.TextRows;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreparedRequestCodecTest {

    @Test
    void textRowsRoundTripAsTokensWithTheirCostsAndRequestedOutputs() {
        long[][] ids = {{101, 2023, 2003, 102}, {101, 30521, 1_999_999, 102}, {101, 102}};
        InferenceRequest slim = new InferenceRequest("resp-1", null, List.of(),
                List.of(new RequestedOutput("embedding", null)));
        PreparedRequest p = new PreparedRequest("all-minilm-l6-v2:1", slim, 3, 4, 10, 4_000,
                new TextRows(ids, null));

        PreparedRequest back = PreparedRequestCodec.decode(PreparedRequestCodec.encode(p));

        assertThat(back.modelKey()).isEqualTo("all-minilm-l6-v2:1");
        assertThat(back.id()).isEqualTo("resp-1");
        assertThat(back.request().outputs()).extracting(RequestedOutput::name).containsExactly("embedding");
        assertThat(back.rows()).isEqualTo(3);
        assertThat(back.maxRowCost()).isEqualTo(4);
        assertThat(back.realCost()).isEqualTo(10);
        assertThat(back.bytes()).isEqualTo(4_000);
        TextRows rows = (TextRows) back.payload();
        assertThat(rows.ids()).isDeepEqualTo(ids);
        assertThat(rows.typeIds()).isNull();
    }

    @Test
    void typeIdsTravelOnlyForTheRowsThatHaveThem() {
        long[][] ids = {{101, 7, 102}, {101, 8, 9, 102}};
        long[][] types = {null, {0, 0, 1, 1}};
        PreparedRequest p = new PreparedRequest("m:1", new InferenceRequest(null, List.of()), 2, 4, 7, 1,
                new TextRows(ids, types));
        TextRows rows = (TextRows) PreparedRequestCodec.decode(PreparedRequestCodec.encode(p)).payload();
        assertThat(rows.typeIds()[0]).isNull();
        assertThat(rows.typeIds()[1]).containsExactly(0, 0, 1, 1);
        assertThat(PreparedRequestCodec.decode(PreparedRequestCodec.encode(p)).id()).isNull();
    }

    @Test
    void tensorsRoundTripRawForEveryDatatype() {
        List<Tensor> inputs = List.of(
                Tensor.ofFloats("f", new long[] {2, 2}, new float[] {1.5f, -2, Float.NaN, 3e38f}),
                new Tensor("l", Datatype.INT64, new long[] {1, 3}, new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}),
                new Tensor("b", Datatype.BOOL, new long[] {1, 2}, new boolean[] {true, false}),
                new Tensor("d", Datatype.FP64, new long[] {1, 1}, new double[] {Math.PI}),
                new Tensor("u", Datatype.UINT8, new long[] {1, 2}, new long[] {0, 255}),
                new Tensor("s", Datatype.BYTES, new long[] {1, 2}, new String[] {"é", ""}));
        InferenceRequest r = new InferenceRequest("t", inputs);
        PreparedRequest p = new PreparedRequest("tiny-mlp:1", r, 1, 1, 1, 100, r);

        PreparedRequest back = PreparedRequestCodec.decode(PreparedRequestCodec.encode(p));

        assertThat(back.payload()).isSameAs(back.request());
        for (Tensor t : inputs) {
            Tensor got = back.request().input(t.name());
            assertThat(got.datatype()).isEqualTo(t.datatype());
            assertThat(got.shape()).containsExactly(t.shape());
            assertThat(Arrays.deepEquals(new Object[] {got.data()}, new Object[] {t.data()})).as(t.name()).isTrue();
        }
    }

    @Test
    void aRequestWithoutPayloadRoundTrips() {
        PreparedRequest p = new PreparedRequest("m:2", new InferenceRequest("x", List.of()), 5, 1, 5, 64, null);
        PreparedRequest back = PreparedRequestCodec.decode(PreparedRequestCodec.encode(p));
        assertThat(back.payload()).isNull();
        assertThat(back.rows()).isEqualTo(5);
    }

    @Test
    void truncatedOrForeignBytesAreRefusedClearly() {
        PreparedRequest p = new PreparedRequest("m:1", new InferenceRequest("x", List.of()), 1, 1, 1, 1,
                new TextRows(new long[][] {{1, 2, 3}}, null));
        byte[] bytes = PreparedRequestCodec.encode(p);
        assertThatThrownBy(() -> PreparedRequestCodec.decode(Arrays.copyOf(bytes, bytes.length - 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("truncated prepared request");
        byte[] foreign = bytes.clone();
        foreign[0] = 9;
        assertThatThrownBy(() -> PreparedRequestCodec.decode(foreign))
                .hasMessage("prepared request of encoding version 9; this build reads 1");
    }

    @Test
    void stringsBeyondAsciiAndEmptyOnesRoundTrip() {
        InferenceRequest r = new InferenceRequest("id-é-\u0000-😀", null, List.of(),
                List.of(new RequestedOutput("ausgabe-ü", null), new RequestedOutput("", null)));
        PreparedRequest back = PreparedRequestCodec.decode(PreparedRequestCodec.encode(
                new PreparedRequest("modèle:1", r, 1, 1, 1, 1, null)));
        assertThat(back.modelKey()).isEqualTo("modèle:1");
        assertThat(back.id()).isEqualTo("id-é-\u0000-😀");
        assertThat(back.request().outputs()).extracting(RequestedOutput::name).containsExactly("ausgabe-ü", "");
    }

    @Test
    void aModelKeyAndOutputNamesThatRepeatAreTheSameInstancesButNeverAnotherString() {
        PreparedRequest a = new PreparedRequest("all-minilm-l6-v2:1", new InferenceRequest("a", null, List.of(),
                List.of(new RequestedOutput("embedding", null))), 1, 1, 1, 1, null);
        // Same length, same first and last byte: the same slot, so the content decides.
        PreparedRequest b = new PreparedRequest("all-minilm-x6-v2:1", new InferenceRequest("b", null, List.of(),
                List.of(new RequestedOutput("embedding", null))), 1, 1, 1, 1, null);
        PreparedRequest first = PreparedRequestCodec.decode(PreparedRequestCodec.encode(a));
        PreparedRequest second = PreparedRequestCodec.decode(PreparedRequestCodec.encode(a));
        PreparedRequest other = PreparedRequestCodec.decode(PreparedRequestCodec.encode(b));
        PreparedRequest third = PreparedRequestCodec.decode(PreparedRequestCodec.encode(a));

        assertThat(second.modelKey()).isSameAs(first.modelKey());
        assertThat(second.request().outputs().get(0).name()).isSameAs(first.request().outputs().get(0).name());
        assertThat(other.modelKey()).isEqualTo("all-minilm-x6-v2:1");
        assertThat(third.modelKey()).isEqualTo("all-minilm-l6-v2:1");
        assertThat(other.id()).isEqualTo("b");
        assertThat(third.id()).isEqualTo("a");
    }

    @Test
    void everyTruncationIsRefusedAsTruncatedNeverAsAnotherError() {
        List<Tensor> inputs = List.of(Tensor.ofFloats("f", new long[] {1, 2}, new float[] {1, 2}));
        InferenceRequest r = new InferenceRequest("some-id", null, inputs,
                List.of(new RequestedOutput("out", null)));
        byte[] tensors = PreparedRequestCodec.encode(new PreparedRequest("m:1", r, 1, 1, 1, 1, r));
        byte[] text = PreparedRequestCodec.encode(new PreparedRequest("m:1", r, 1, 3, 3, 1,
                new TextRows(new long[][] {{101, 300_000, 102}}, null)));
        for (byte[] whole : List.of(tensors, text)) {
            for (int n = 1; n < whole.length; n++) {
                byte[] cut = Arrays.copyOf(whole, n);
                assertThatThrownBy(() -> PreparedRequestCodec.decode(cut)).as("cut at %d of %d", n, whole.length)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("truncated prepared request");
            }
        }
    }

    /**
     * The bytes of this build's encoder, as the DataOutputStream-based encoder before it wrote them: prepared requests
     * sit in checkpoints (the async operator's in-flight queue), so the layout may not change under them.
     */
    @Test
    void theEncodingIsByteForByteTheOneCheckpointsHold() {
        InferenceRequest slim = new InferenceRequest("id-\u00e9-1", null, List.of(),
                List.of(new RequestedOutput("embedding", null), new RequestedOutput("\u00fc", null)));
        long[][] ids = {{101, 300_000, 1_999_999, 102}, {101, 0, 102}};
        long[][] types = {null, {0, 1, 1}};
        assertThat(HexFormat.of().formatHex(PreparedRequestCodec.encode(new PreparedRequest("mod\u00e8le:1", slim, 2,
                4, 7, 4_000, new TextRows(ids, types)))))
                .isEqualTo("0100096d6f64c3a86c653a3101000769642dc3a92d31020009656d62656464696e670002c3bc020407a01f0102"
                        + "0465e0a712ff887a6600036500660103000101");
        List<Tensor> inputs = List.of(Tensor.ofFloats("f", new long[] {1, 2}, new float[] {1.5f, -2}),
                new Tensor("s", Datatype.BYTES, new long[] {1, 1}, new String[] {"x"}));
        InferenceRequest r = new InferenceRequest(null, null, inputs, List.of());
        assertThat(HexFormat.of().formatHex(PreparedRequestCodec.encode(new PreparedRequest("tiny-mlp:1", r, 1, 1, 1,
                100, r))))
                .isEqualTo("01000a74696e792d6d6c703a3100000101016402020001660a020102080000c03f000000c00001730c0201"
                        + "01050100000078");
    }

    @Test
    void aNulAndAStringTooLongForWriteUtfAreHandledAsTheJdkDoes() {
        InferenceRequest withNul = new InferenceRequest("a\u0000b", null, List.of(), List.of());
        byte[] bytes = PreparedRequestCodec.encode(new PreparedRequest("m:1", withNul, 1, 1, 1, 1, null));
        assertThat(HexFormat.of().formatHex(bytes)).contains("000461c08062"); // writeUTF's two-byte NUL
        assertThat(PreparedRequestCodec.decode(bytes).id()).isEqualTo("a\u0000b");
        InferenceRequest huge = new InferenceRequest("x".repeat(70_000), null, List.of(), List.of());
        assertThatThrownBy(() -> PreparedRequestCodec.encode(new PreparedRequest("m:1", huge, 1, 1, 1, 1, null)))
                .hasRootCauseInstanceOf(java.io.UTFDataFormatException.class);
    }

    @Test
    void manyLongRowsGrowTheBuffer() {
        long[][] ids = new long[64][512];
        for (long[] row : ids) {
            Arrays.fill(row, Long.MAX_VALUE); // ten bytes each
        }
        PreparedRequest p = new PreparedRequest("m:1", new InferenceRequest("x", List.of()), 64, 512, 1, 1,
                new TextRows(ids, null));
        assertThat(((TextRows) PreparedRequestCodec.decode(PreparedRequestCodec.encode(p)).payload()).ids())
                .isDeepEqualTo(ids);
    }
}
