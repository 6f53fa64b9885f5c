package io.streaminfer.flink.sql;

import static io.streaminfer.flink.sql.SqlTestSupport.collect;
import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.EngineListener;
import io.streaminfer.generation.GenerationEngine;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.GenerativeReplica;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import io.streaminfer.runtime.TestModels;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ML_PREDICT over the shipped generative model: each row's prompt becomes generated text, the rows of the query
 * decoding together on the subtask's engine (continuous batching), each text what the model generates for it alone.
 */
class GenerativeMlPredictIT {
    private static final Logger LOG = LoggerFactory.getLogger(GenerativeMlPredictIT.class);
    static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(1)
                    .build());

    static final int ROWS = 40;
    static final int MAX_TOKENS = 16;

    @AfterAll
    static void closeReporter() {
        REPORTER.close();
    }

    @Test
    void mlPredictGeneratesEachRowsTextBatchedPerDecodingStep() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (String t : TestModels.realTexts().subList(100, 100 + ROWS)) {
            prompts.add(t.length() > 300 ? t.substring(0, 300) : t);
        }
        StreamTableEnvironment tEnv = SqlTestSupport.tableEnv(false);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(Row.of(i, prompts.get(i)));
        }
        tEnv.createTemporaryView("prompts", tEnv.fromValues(DataTypes.ROW(DataTypes.FIELD("id", DataTypes.INT()),
                DataTypes.FIELD("text_input", DataTypes.STRING())), rows));
        tEnv.executeSql("CREATE TEMPORARY MODEL gpt INPUT (text_input STRING) OUTPUT (text_output STRING, error "
                + "STRING) WITH ('provider' = 'streaminfer', 'model' = '" + TestModels.GENERATIVE + "', "
                + "'models-dir' = '" + SqlTestSupport.modelsDir() + "', 'error-column' = 'error', 'generation.max-tokens' = '" + MAX_TOKENS
                + "', 'generation.temperature' = '0')");
        TableResult result = tEnv.executeSql("SELECT id, text_output, error FROM ML_PREDICT(TABLE prompts, MODEL gpt,"
                + " DESCRIPTOR(text_input), MAP['max-concurrent-operations', '64'])");
        JobID job = result.getJobClient().orElseThrow().getJobID();
        List<Row> out = collect(result.collect());
        assertThat(out).hasSize(ROWS);

        Map<Integer, String> expected = aloneGreedy(prompts);
        int same = 0;
        for (Row r : out) {
            assertThat(r.getField("error")).as("row %s", r.getField("id")).isNull();
            String text = (String) r.getField("text_output");
            assertThat(text).isNotNull();
            if (text.equals(expected.get((Integer) r.getField("id")))) {
                same++;
            } else {
                LOG.info("row {}: batched {} vs alone {}", r.getField("id"), text, expected.get(r.getField("id")));
            }
        }
        // Another batch shape can flip a near-tie of floating point (see GenerationPipelineIT): rarely.
        assertThat(same).as("rows whose text equals the model's alone").isGreaterThanOrEqualTo(ROWS * 9 / 10);
        Histogram decodeRows = (Histogram) metric(job, "decodeRows");
        assertThat(decodeRows.getStatistics().getMax()).as("rows decode together").isGreaterThan(1);
    }

    /** Each prompt alone on an engine of its own, greedy: the text a row must get. */
    private static Map<Integer, String> aloneGreedy(List<String> prompts) {
        Map<Integer, String> texts = new HashMap<>();
        ModelVersion v = ModelRepository.open(TestModels.modelsDir()).resolve(TestModels.GENERATIVE, null);
        try (GenerativeReplica replica = GenerativeReplica.load(v, null);
                RequestPreparer preparer = Preparers.load(v);
                GenerationEngine engine = replica.startEngine(GenerationListener.NONE, EngineListener.NONE)) {
            for (int i = 0; i < prompts.size(); i++) {
                GenerationPrompt p = (GenerationPrompt) preparer.prepare(new InferenceRequest("alone-" + i,
                        Map.of("max_tokens", MAX_TOKENS, "temperature", 0),
                        List.of(Tensor.ofStrings("text_input", prompts.get(i))), null)).payload();
                texts.put(i, engine.submit(GenerationRequest.builder("alone-" + i, p.tokens(), p.params()).build())
                        .join().text());
            }
        }
        return texts;
    }

    private static Metric metric(JobID job, String name) {
        Metric m = null;
        for (Map.Entry<String, Metric> e : REPORTER.findMetrics(job, name).entrySet()) {
            if (e.getKey().endsWith("." + name)) {
                m = e.getValue();
            }
        }
        assertThat(m).as("metric %s", name).isNotNull();
        return m;
    }
}
