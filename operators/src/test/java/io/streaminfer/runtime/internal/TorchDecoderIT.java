package io.streaminfer.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.DecoderModel;
import io.streaminfer.runtime.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped generative model through DJL, as the engine drives it: a sequence's logits must not depend on how its
 * prompt was chunked, on the batch it decodes in, on the padding a join gives it, or on rows leaving the batch.
 */
class TorchDecoderIT {
    private static final double TOLERANCE = 1e-4;
    private static TorchDecoder model;
    private static int vocabulary;

    @BeforeAll
    static void load() {
        Path repo = Path.of(System.getProperty("streaminfer.generative.repo", TestModels.modelsDir().toString()));
        ModelRepository repository = ModelRepository.open(repo);
        ModelVersion v = repository.resolve(System.getProperty("streaminfer.generative.model",
                TestModels.GENERATIVE), null);
        model = new TorchDecoder(v, Device.cpu());
        vocabulary = model.vocabularySize();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] tokens(int seed, int n) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 1 + r.nextInt(vocabulary - 1);
        }
        return t;
    }

    /** The logits after each of {@code extra} tokens decoded one by one after {@code prompt}, alone. */
    private static float[][] alone(int[] prompt, int[] extra) {
        try (DecoderModel.Cache c = model.newCache()) {
            float[][] out = new float[extra.length + 1][];
            out[0] = model.extend(c, prompt, 0);
            for (int i = 0; i < extra.length; i++) {
                out[i + 1] = model.step(c, new int[] {extra[i]}, new int[] {prompt.length + i});
            }
            return out;
        }
    }

    @Test
    void aPromptInChunksGivesTheLogitsOfThePromptAtOnce() {
        int[] prompt = tokens(1, Math.min(300, model.contextLength() - 8));
        float[] once;
        try (DecoderModel.Cache c = model.newCache()) {
            once = model.extend(c, prompt, 0);
        }
        float[] chunked = null;
        try (DecoderModel.Cache c = model.newCache()) {
            for (int at = 0; at < prompt.length; at += 64) {
                int n = Math.min(64, prompt.length - at);
                chunked = model.extend(c, Arrays.copyOfRange(prompt, at, at + n), at);
            }
        }
        assertClose(chunked, once);
    }

    @Test
    void rowsOfABatchDecodeAsTheyWouldAloneThroughJoinsAndRetains() {
        int[][] prompts = {tokens(2, 5), tokens(3, 40), tokens(4, 17), tokens(5, 60)};
        int[][] extra = {tokens(6, 30), tokens(7, 30), tokens(8, 30), tokens(9, 30)};
        float[][][] expected = new float[prompts.length][][];
        for (int s = 0; s < prompts.length; s++) {
            expected[s] = alone(prompts[s], extra[s]);
        }
        try (DecoderModel.Cache batch = model.newCache()) {
            int[] rowOf = {-1, -1, -1, -1};
            int[] done = new int[prompts.length];
            // Sequences 0 and 1 start together; 2 joins after 5 steps; 3 after 10; 0 leaves after 12.
            for (int s : new int[] {0, 1}) {
                join(batch, prompts[s], expected[s][0], rowOf, s);
            }
            for (int step = 0; step < 30; step++) {
                if (step == 5) {
                    join(batch, prompts[2], expected[2][0], rowOf, 2);
                }
                if (step == 10) {
                    join(batch, prompts[3], expected[3][0], rowOf, 3);
                }
                if (step == 12) {
                    int[] keep = {rowOf[1], rowOf[2], rowOf[3]};
                    model.retain(batch, keep);
                    rowOf = new int[] {-1, 0, 1, 2};
                }
                int rows = batch.rows();
                int[] feed = new int[rows];
                int[] positions = new int[rows];
                int[] seqOfRow = new int[rows];
                for (int s = 0; s < prompts.length; s++) {
                    if (rowOf[s] >= 0 && done[s] < extra[s].length) {
                        feed[rowOf[s]] = extra[s][done[s]];
                        positions[rowOf[s]] = prompts[s].length + done[s];
                        seqOfRow[rowOf[s]] = s;
                    }
                }
                float[] logits = model.step(batch, feed, positions);
                for (int r = 0; r < rows; r++) {
                    int s = seqOfRow[r];
                    done[s]++;
                    assertClose(Arrays.copyOfRange(logits, r * vocabulary, (r + 1) * vocabulary),
                            expected[s][done[s]]);
                }
                if (Arrays.stream(done).anyMatch(d -> d >= 29)) {
                    break;
                }
            }
        }
    }

    private static void join(DecoderModel.Cache batch, int[] prompt, float[] expectedFirst, int[] rowOf, int s) {
        try (DecoderModel.Cache single = model.newCache()) {
            assertClose(model.extend(single, prompt, 0), expectedFirst);
            rowOf[s] = batch.rows();
            model.join(batch, single);
        }
    }

    @Test
    void aRowCopiedOutDecodesLikeItsBatch() {
        int[] a = tokens(10, 12);
        int[] b = tokens(11, 33);
        try (DecoderModel.Cache batch = model.newCache(); DecoderModel.Cache sa = model.newCache();
                DecoderModel.Cache sb = model.newCache()) {
            model.extend(sa, a, 0);
            model.extend(sb, b, 0);
            model.join(batch, sa);
            model.join(batch, sb);
            try (DecoderModel.Cache copy = model.copyRow(batch, 0)) {
                float[] fromCopy = model.step(copy, new int[] {7}, new int[] {a.length});
                float[] fromBatch = model.step(batch, new int[] {7, 9}, new int[] {a.length, b.length});
                assertClose(fromCopy, Arrays.copyOf(fromBatch, vocabulary));
            }
        }
    }

    @Test
    void newcomersJoinedAtOnceDecodeAsTheyWouldAlone() {
        int[][] prompts = {tokens(20, 9), tokens(21, 70), tokens(22, 3), tokens(23, 33)};
        int[][] extra = {tokens(24, 6), tokens(25, 6), tokens(26, 6), tokens(27, 6)};
        try (DecoderModel.Cache batch = model.newCache()) {
            List<DecoderModel.Cache> singles = new ArrayList<>();
            try (DecoderModel.Cache first = model.newCache()) {
                model.extend(first, prompts[0], 0);
                model.join(batch, first);
            }
            for (int s = 1; s < prompts.length; s++) {
                DecoderModel.Cache single = model.newCache();
                model.extend(single, prompts[s], 0);
                singles.add(single);
            }
            // Row 0 was in the batch; rows 1..3 (longer and shorter than it) join in one call.
            model.join(batch, singles);
            for (DecoderModel.Cache single : singles) {
                assertThat(single.rows()).isZero();
                single.close();
            }
            assertThat(batch.rows()).isEqualTo(prompts.length);
            for (int i = 0; i < extra[0].length; i++) {
                int[] feed = new int[prompts.length];
                int[] positions = new int[prompts.length];
                for (int s = 0; s < prompts.length; s++) {
                    feed[s] = extra[s][i];
                    positions[s] = prompts[s].length + i;
                }
                float[] logits = model.step(batch, feed, positions);
                for (int s = 0; s < prompts.length; s++) {
                    float[][] expected = alone(prompts[s], Arrays.copyOf(extra[s], i + 1));
                    assertClose(Arrays.copyOfRange(logits, s * vocabulary, (s + 1) * vocabulary), expected[i + 1]);
                }
            }
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst).as("largest difference of a logit").isLessThan(TOLERANCE);
    }
}
