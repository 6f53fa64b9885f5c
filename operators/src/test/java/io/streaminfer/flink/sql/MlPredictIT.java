package io.streaminfer.flink.sql;

import static io.streaminfer.flink.sql.SqlTestSupport.collect;
import static io.streaminfer.flink.sql.SqlTestSupport.cosine;
import static io.streaminfer.flink.sql.SqlTestSupport.createMiniLm;
import static io.streaminfer.flink.sql.SqlTestSupport.floats;
import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.RuntimeOptions;
import io.streaminfer.runtime.TestModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CREATE MODEL + ML_PREDICT with the streaminfer provider on a real TableEnvironment and MiniCluster, running the
 * real default model (DJL/libtorch) over real texts: the embeddings are the runtime's, and rows in flight together
 * share model calls (the batch-size metric).
 */
class MlPredictIT {
    static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(1)
                    .build());

    static final int ROWS = 200;
    static List<String> texts;
    static Map<String, float[]> expected = new HashMap<>();

    @BeforeAll
    static void referenceEmbeddings() {
        texts = TestModels.realTexts().subList(0, ROWS);
        try (ModelRuntime runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(TestModels.modelsDir())
                .models(Set.of(TestModels.MINILM)).build())) {
            for (String t : texts) {
                Prediction p = runtime.predict(TestModels.MINILM, null,
                        new InferenceRequest("ref", List.of(Tensor.ofStrings("text", t))));
                expected.put(t, p.response().output("embedding").floats());
            }
        }
    }

    @AfterAll
    static void closeReporter() {
        REPORTER.close();
    }

    @Test
    void mlPredictGivesTheRuntimesEmbeddingsInBatches() throws Exception {
        StreamTableEnvironment tEnv = SqlTestSupport.tableEnv(false);
        List<Row> docs = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            docs.add(Row.of(i, texts.get(i)));
        }
        tEnv.createTemporaryView("docs", tEnv.fromValues(DataTypes.ROW(DataTypes.FIELD("id", DataTypes.INT()),
                DataTypes.FIELD("text", DataTypes.STRING())), docs));
        tEnv.executeSql(createMiniLm("emb", "INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)", ""));

        TableResult result = tEnv.executeSql("SELECT id, text, embedding FROM ML_PREDICT(TABLE docs, MODEL emb, "
                + "DESCRIPTOR(text), MAP['max-concurrent-operations', '256'])");
        JobID job = result.getJobClient().orElseThrow().getJobID();
        List<Row> rows = collect(result.collect());

        assertThat(rows).hasSize(ROWS);
        for (Row r : rows) {
            float[] got = floats(r.getField("embedding"));
            assertThat(got).hasSize(384);
            assertThat(cosine(got, expected.get((String) r.getField("text"))))
                    .as("row %s", r.getField("id")).isGreaterThan(0.9999);
        }
        Histogram batchSize = histogram(job, "batchSize");
        assertThat(batchSize.getStatistics().getMax())
                .as("rows in flight together share model calls").isGreaterThan(1);
        assertThat(counter(job, "rowsSucceeded")).isEqualTo(ROWS);
    }

    @Test
    void withBatchingOffEveryRowIsItsOwnModelCall() throws Exception {
        StreamTableEnvironment tEnv = SqlTestSupport.tableEnv(false);
        tEnv.createTemporaryView("few", tEnv.fromValues(DataTypes.ROW(DataTypes.FIELD("text", DataTypes.STRING())),
                texts.subList(0, 20).stream().map(Row::of).toList()));
        tEnv.executeSql(createMiniLm("single", "INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)",
                ", 'max-batch-size' = '1'"));
        TableResult result = tEnv.executeSql("SELECT text, embedding FROM ML_PREDICT(TABLE few, MODEL single, "
                + "DESCRIPTOR(text), MAP['max-concurrent-operations', '64'])");
        JobID job = result.getJobClient().orElseThrow().getJobID();
        assertThat(collect(result.collect())).hasSize(20);
        assertThat(histogram(job, "batchSize").getStatistics().getMax()).isEqualTo(1);
        assertThat(histogram(job, "batchSize").getCount()).isEqualTo(20);
    }

    /** The tiny MLP over good and bad rows: 4 features, 3 features, a poison value the model raises on, null. */
    static final String TINY_ROWS = "VALUES (1, ARRAY[1.0, 2.0, 3.0, 4.0]), (2, ARRAY[1.0, 2.0, 3.0]), "
            + "(3, ARRAY[-1000.0, 0.0, 0.0, 0.0]), (4, CAST(NULL AS ARRAY<FLOAT>)), (5, ARRAY[0.5, 0.5, 0.5, 0.5])";

    static StreamTableEnvironment tinyMlp(String onError) {
        StreamTableEnvironment tEnv = SqlTestSupport.tableEnv(false);
        tEnv.executeSql("CREATE TEMPORARY VIEW feats AS SELECT id, CAST(f AS ARRAY<FLOAT>) AS features FROM ("
                + TINY_ROWS + ") AS t(id, f)");
        tEnv.executeSql("CREATE TEMPORARY MODEL mlp INPUT (features ARRAY<FLOAT>) OUTPUT (logits ARRAY<FLOAT>, "
                + "label BIGINT, error STRING) WITH ('provider' = 'streaminfer', 'model' = 'tiny-mlp', "
                + "'models-dir' = '" + SqlTestSupport.modelsDir() + "', 'error-column' = 'error', 'on-error' = '"
                + onError + "')");
        return tEnv;
    }

    static final String TINY_QUERY = "SELECT id, logits, label, error FROM ML_PREDICT(TABLE feats, MODEL mlp, "
            + "DESCRIPTOR(features), MAP['max-concurrent-operations', '16'])";

    @Test
    void badRowsCarryTheirErrorAndTheOthersTheirResult() throws Exception {
        TableResult result = tinyMlp("null").executeSql(TINY_QUERY);
        JobID job = result.getJobClient().orElseThrow().getJobID();
        Map<Integer, Row> byId = new HashMap<>();
        for (Row r : collect(result.collect())) {
            byId.put((Integer) r.getField("id"), r);
        }
        assertThat(byId).containsOnlyKeys(1, 2, 3, 4, 5);
        for (int ok : new int[] {1, 5}) {
            assertThat(byId.get(ok).getField("error")).as("row %s", ok).isNull();
            assertThat(floats(byId.get(ok).getField("logits"))).hasSize(3);
            assertThat(byId.get(ok).getField("label")).isInstanceOf(Long.class);
        }
        assertThat((String) byId.get(2).getField("error")).startsWith("INVALID_INPUT: ")
                .contains("'features'").contains("[-1, 4]");
        assertThat((String) byId.get(3).getField("error")).startsWith("MODEL_ERROR: ");
        assertThat((String) byId.get(4).getField("error"))
                .isEqualTo("INVALID_INPUT: INPUT column 'features' is null; the model's input features FP32 [-1, 4] "
                        + "needs a value in every row (filter nulls out, or COALESCE them)");
        for (int bad : new int[] {2, 3, 4}) {
            assertThat(byId.get(bad).getField("logits")).isNull();
            assertThat(byId.get(bad).getField("label")).isNull();
        }
        assertThat(counter(job, "rowsFailed")).isEqualTo(3);
        assertThat(counter(job, "rowsFailed.INVALID_INPUT")).isEqualTo(2);
        assertThat(counter(job, "rowsSucceeded")).isEqualTo(2);
    }

    @Test
    void skipLeavesBadRowsOut() throws Exception {
        List<Row> rows = collect(tinyMlp("skip").executeSql(TINY_QUERY).collect());
        assertThat(rows).extracting(r -> r.getField("id")).containsExactlyInAnyOrder(1, 5);
    }

    /**
     * The query has bad rows refused before the model (INVALID_INPUT) and one the model fails (MODEL_ERROR):
     * whichever is decided first ends it (they race: the refused row may come after the model's call), named.
     */
    @Test
    void failEndsTheQueryNamingTheRow() {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> collect(tinyMlp("fail")
                .executeSql(TINY_QUERY).collect()));
        assertThat(thrown).as("the query fails").isNotNull();
        java.io.StringWriter trace = new java.io.StringWriter();
        thrown.printStackTrace(new java.io.PrintWriter(trace));
        assertThat(trace.toString()).containsPattern("row \\S+ failed and 'on-error' = 'fail': "
                + "(INVALID_INPUT: |MODEL_ERROR: model tiny-mlp:1 failed)");
    }

    static Histogram histogram(JobID job, String name) {
        return (Histogram) metric(job, name);
    }

    static long counter(JobID job, String name) {
        return ((org.apache.flink.metrics.Counter) metric(job, name)).getCount();
    }

    private static Metric metric(JobID job, String name) {
        Map<String, Metric> found = REPORTER.findMetrics(job, name);
        Metric m = null;
        for (Map.Entry<String, Metric> e : found.entrySet()) {
            if (e.getKey().endsWith("." + name)) {
                m = e.getValue();
            }
        }
        assertThat(m).as("metric %s in %s", name, found.keySet()).isNotNull();
        return m;
    }
}
