package io.streaminfer.flink.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.junit.jupiter.api.Test;

/**
 * Every way a {@code CREATE MODEL ... 'provider' = 'streaminfer'} can be wrong fails with a message that says what to
 * change: at CREATE MODEL with the check listener on, else when a query using the model is planned. Real planner,
 * real model repository; no job runs.
 */
class ModelValidationTest {
    static final String MINILM = "'model' = 'all-minilm-l6-v2', 'models-dir' = '" + SqlTestSupport.modelsDir() + "'";
    static final String TINY = "'model' = 'tiny-mlp', 'models-dir' = '" + SqlTestSupport.modelsDir() + "'";

    static TableEnvironment env(boolean checkAtCreate) {
        Configuration conf = new Configuration();
        if (checkAtCreate) {
            conf.setString("table.catalog-modification.listeners", "streaminfer");
        }
        return TableEnvironment.create(EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf)
                .build());
    }

    /** The message a CREATE TEMPORARY MODEL fails with, the check listener on. */
    static String error(String columns, String options) {
        TableEnvironment t = env(true);
        Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> t.executeSql(
                "CREATE TEMPORARY MODEL m " + columns + " WITH ('provider' = 'streaminfer', " + options + ")"));
        assertThat(e).as("CREATE MODEL fails").isNotNull();
        StringBuilder all = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append('\n');
        }
        return all.toString();
    }

    @Test
    void aValidModelIsAccepted() {
        TableEnvironment t = env(true);
        t.executeSql("CREATE TEMPORARY MODEL ok INPUT (text STRING) OUTPUT (embedding ARRAY<DOUBLE>, error STRING) "
                + "WITH ('provider' = 'streaminfer', " + MINILM + ", 'error-column' = 'error')");
        assertThat(t.listTemporaryModels()).contains("ok");
    }

    @Test
    void unknownModelListsWhatExists() {
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)", "'model' = 'nope', 'models-dir' = '"
                + SqlTestSupport.modelsDir() + "'"))
                .contains("unknown model 'nope'").contains("all-minilm-l6-v2").contains("set 'model'");
    }

    @Test
    void unknownVersion() {
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)", MINILM + ", 'model-version' = '7'"))
                .contains("has no version '7'").contains("'model-version'");
    }

    @Test
    void inputColumnsAreNamedAfterTheModelsInputs() {
        assertThat(error("INPUT (sentence STRING) OUTPUT (embedding ARRAY<FLOAT>)", MINILM))
                .contains("INPUT column 'sentence' is not an input of model 'all-minilm-l6-v2:1'")
                .contains("INPUT (text STRING)")
                .contains("takes input text BYTES [-1], which INPUT does not declare; add text STRING");
    }

    @Test
    void outputColumnThatIsNoOutputSuggestsTheErrorColumn() {
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>, why STRING)", MINILM))
                .contains("OUTPUT column 'why' is not an output").contains("'error-column' = 'why'");
    }

    @Test
    void shapeMismatchSaysWhichArrayToDeclare() {
        assertThat(error("INPUT (text STRING) OUTPUT (embedding FLOAT)", MINILM))
                .contains("OUTPUT column 'embedding' is FLOAT")
                .contains("a 1-dimensional array per row: declare it ARRAY<FLOAT>");
        assertThat(error("INPUT (text ARRAY<STRING>) OUTPUT (embedding ARRAY<FLOAT>)", MINILM))
                .contains("INPUT column 'text' is ARRAY<STRING>").contains("one value per row: declare it STRING");
    }

    @Test
    void lossyOrWrongElementTypes() {
        assertThat(error("INPUT (text INT) OUTPUT (embedding ARRAY<FLOAT>)", MINILM))
                .contains("elements of type INT, which cannot feed the model's BYTES input text")
                .contains("declare it STRING");
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<INT>)", MINILM))
                .contains("cannot hold the model's FP32 output embedding without loss: declare it ARRAY<FLOAT>");
        assertThat(error("INPUT (features ARRAY<DOUBLE>) OUTPUT (logits ARRAY<FLOAT>)", TINY))
                .contains("elements of type DOUBLE, which cannot feed the model's FP32 input features")
                .contains("ARRAY<FLOAT>");
        assertThat(error("INPUT (features ARRAY<FLOAT>) OUTPUT (label INT)", TINY))
                .contains("cannot hold the model's INT64 output label without loss: declare it BIGINT");
    }

    @Test
    void unsupportedTypes() {
        assertThat(error("INPUT (text TIMESTAMP(3)) OUTPUT (embedding ARRAY<FLOAT>)", MINILM))
                .contains("INPUT column 'text' has type TIMESTAMP(3), which stands for no OIP datatype")
                .contains("wants STRING");
        assertThat(error("INPUT (text STRING) OUTPUT (embedding MAP<STRING, FLOAT>)", MINILM))
                .contains("which stands for no OIP datatype");
    }

    @Test
    void optionsAreCheckedAllAtOnce() {
        String e = error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)", "'model' = 'all-minilm-l6-v2', "
                + "'modles-dir' = '/x', 'max-batch-size' = 'zero', 'on-error' = 'ignore', 'workers' = '0'");
        assertThat(e).contains("unknown option 'modles-dir' (did you mean 'models-dir'?)")
                .contains("'max-batch-size' must be a whole number, got 'zero'")
                .contains("'on-error' must be null, skip or fail, got 'ignore'")
                .contains("'workers' must be between 1 and 256, got 0")
                .contains("set 'models-dir' (local mode").contains("or 'endpoint' (remote mode");
    }

    @Test
    void localAndRemoteOptionsDoNotMix() {
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)", MINILM
                + ", 'endpoint' = 'http://127.0.0.1:1'"))
                .contains("set either 'models-dir' (local mode) or 'endpoint' (remote mode), not both");
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)", "'model' = 'm', 'endpoint' = "
                + "'ftp://x', 'device' = 'gpu'"))
                .contains("'endpoint' must be an http(s) URL").contains("'device' applies to the local mode only");
    }

    @Test
    void errorColumnMustBeANullableStringOutputColumn() {
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)", MINILM + ", 'error-column' = "
                + "'error'")).contains("'error-column' = 'error' names no OUTPUT column; add error STRING to OUTPUT");
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>, error INT)", MINILM
                + ", 'error-column' = 'error'")).contains("is the 'error-column' and must be STRING, got INT");
    }

    @Test
    void notNullOutputsNeedAnOnErrorThatLeavesNoNulls() {
        assertThat(error("INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT> NOT NULL)", MINILM))
                .contains("is NOT NULL, but with 'on-error' = 'null' a failed row's outputs are null");
        TableEnvironment t = env(true);
        t.executeSql("CREATE TEMPORARY MODEL strict INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT> NOT NULL) "
                + "WITH ('provider' = 'streaminfer', " + MINILM + ", 'on-error' = 'skip')");
    }

    @Test
    void withoutTheListenerTheQueryIsRefusedWhenPlanned() {
        TableEnvironment t = env(false);
        t.executeSql("CREATE TEMPORARY TABLE docs (text STRING) WITH ('connector' = 'datagen')");
        t.executeSql("CREATE TEMPORARY MODEL late INPUT (sentence STRING) OUTPUT (embedding ARRAY<FLOAT>) "
                + "WITH ('provider' = 'streaminfer', " + MINILM + ")");
        assertThatThrownBy(() -> t.explainSql("SELECT * FROM ML_PREDICT(TABLE docs, MODEL late, DESCRIPTOR(text))"))
                .hasStackTraceContaining("INPUT column 'sentence' is not an input of model 'all-minilm-l6-v2:1'");
    }

    @Test
    void aCatalogModelThatFailsTheCheckSaysToDropIt() {
        TableEnvironment t = env(true);
        assertThatThrownBy(() -> t.executeSql("CREATE MODEL kept INPUT (text STRING) OUTPUT (vec ARRAY<FLOAT>) "
                + "WITH ('provider' = 'streaminfer', " + MINILM + ")"))
                .hasStackTraceContaining("OUTPUT column 'vec' is not an output")
                .hasStackTraceContaining("DROP MODEL default_catalog.default_database.kept");
    }

    @Test
    void modelsOfOtherProvidersAreLeftAlone() {
        TableEnvironment t = env(true);
        t.executeSql("CREATE TEMPORARY MODEL other INPUT (a STRING) OUTPUT (b STRING) WITH ('provider' = 'openai')");
        assertThat(t.listTemporaryModels()).contains("other");
    }
}
