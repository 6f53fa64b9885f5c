package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.bridge.Bridge;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.Embeddings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL provider's remote mode against this platform's own OIP server: the bridge in front of the pipeline job
 * (in-process Kafka, the job on a MiniCluster with the real model). ML_PREDICT rows go out as multi-row requests to
 * {@code /v2/models/{m}/infer}; the embeddings are the runtime's; a row the server rejects fails alone with the
 * server's message.
 */
class RemoteMlPredictIT {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final String TOKEN = "sql-test-token-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final List<String> SENTENCES = List.of("A man is eating food.",
            "A man is eating a piece of bread.", "The girl is carrying a baby.", "A man is riding a horse.",
            "A woman is playing violin.", "Two men pushed carts through the woods.",
            "A man is riding a white horse on an enclosed ground.", "A monkey is playing drums.",
            "Someone in a gorilla costume is playing a set of drums.", "A cheetah is running behind its prey.",
            "Kafka partitions are ordered, append-only logs.", "Flink checkpoints keep operator state consistent.");

    static EmbeddedKafka kafka;
    static BridgeStack stack;
    static Bridge bridge;
    static String endpoint;
    static Map<String, float[]> expected = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        stack = new BridgeStack(kafka, "sql").startJob();
        bridge = stack.startBridge(stack.bridgeYaml("bridge-sql", "auth:\n  tokens: [" + TOKEN + "]\n"
                + "callbacks:\n  enabled: false\n"));
        await().atMost(WAIT).until(bridge::isReady);
        endpoint = "http://127.0.0.1:" + bridge.port();
        expected.putAll(Embeddings.reference(MODEL, SENTENCES));
    }

    @AfterAll
    static void stop() throws Exception {
        if (bridge != null) {
            bridge.close();
        }
        if (stack != null) {
            stack.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    static StreamTableEnvironment tableEnv() {
        Configuration conf = new Configuration();
        conf.setString("restart-strategy.type", "none");
        conf.setString("rest.bind-port", "0");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        env.setParallelism(1);
        return StreamTableEnvironment.create(env);
    }

    static List<Row> collect(CloseableIterator<Row> it) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (it) {
            it.forEachRemaining(rows::add);
        }
        return rows;
    }

    @Test
    void embeddingsComeFromTheBridgeInMultiRowRequests() throws Exception {
        StreamTableEnvironment tEnv = tableEnv();
        List<Row> docs = new ArrayList<>();
        for (int i = 0; i < SENTENCES.size(); i++) {
            docs.add(Row.of(i, SENTENCES.get(i)));
        }
        docs.add(Row.of(99, null));
        tEnv.createTemporaryView("docs", tEnv.fromValues(DataTypes.ROW(DataTypes.FIELD("id", DataTypes.INT()),
                DataTypes.FIELD("text", DataTypes.STRING())), docs));
        tEnv.executeSql("CREATE TEMPORARY MODEL emb INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>, error STRING)"
                + " WITH ('provider' = 'streaminfer', 'model' = '" + MODEL + "', 'endpoint' = '" + endpoint + "', "
                + "'remote.token' = '" + TOKEN + "', 'error-column' = 'error', 'max-delay-ms' = '50')");
        List<Row> rows = collect(tEnv.executeSql("SELECT id, text, embedding, error FROM ML_PREDICT(TABLE docs, "
                + "MODEL emb, DESCRIPTOR(text), MAP['max-concurrent-operations', '64'])").collect());

        assertThat(rows).hasSize(SENTENCES.size() + 1);
        for (Row r : rows) {
            if ((Integer) r.getField("id") == 99) {
                assertThat((String) r.getField("error")).startsWith("INVALID_INPUT: INPUT column 'text' is null");
                assertThat(r.getField("embedding")).isNull();
                continue;
            }
            assertThat(r.getField("error")).as("row %s", r.getField("id")).isNull();
            float[] got = toFloats(r.getField("embedding"));
            assertThat(Embeddings.cosine(got, expected.get((String) r.getField("text")))).isGreaterThan(0.9999);
        }
        // The bridge's own statistics (Triton's shape): rows it answered, and the requests that carried them.
        com.fasterxml.jackson.databind.JsonNode stat = new Http(bridge.port(), TOKEN).get("/v2/models/" + MODEL
                + "/stats").json().get("model_stats").get(0);
        long bridgeRows = stat.get("inference_count").asLong();
        long requests = stat.get("inference_stats").get("success").get("count").asLong();
        assertThat(bridgeRows).isEqualTo(SENTENCES.size());
        assertThat(requests).as("multi-row requests").isLessThan(bridgeRows);
    }

    @Test
    void aRowTheServerRejectsFailsAloneWithTheServersMessage() throws Exception {
        StreamTableEnvironment tEnv = tableEnv();
        tEnv.executeSql("CREATE TEMPORARY VIEW feats AS SELECT id, CAST(f AS ARRAY<FLOAT>) AS features FROM (VALUES "
                + "(1, ARRAY[1.0, 2.0, 3.0, 4.0]), (2, ARRAY[1.0, 2.0, 3.0]), (3, ARRAY[4.0, 3.0, 2.0, 1.0])) "
                + "AS t(id, f)");
        // Without the metadata check the provider cannot know the model takes 4 features: the server says so.
        tEnv.executeSql("CREATE TEMPORARY MODEL mlp INPUT (features ARRAY<FLOAT>) OUTPUT (logits ARRAY<FLOAT>, "
                + "error STRING) WITH ('provider' = 'streaminfer', 'model' = 'tiny-mlp', 'endpoint' = '" + endpoint
                + "', 'remote.token' = '" + TOKEN + "', 'error-column' = 'error', 'remote.check-metadata' = 'false')");
        Map<Integer, Row> byId = new HashMap<>();
        for (Row r : collect(tEnv.executeSql("SELECT id, logits, error FROM ML_PREDICT(TABLE feats, MODEL mlp, "
                + "DESCRIPTOR(features), MAP['max-concurrent-operations', '16'])").collect())) {
            byId.put((Integer) r.getField("id"), r);
        }
        assertThat(byId).containsOnlyKeys(1, 2, 3);
        assertThat((String) byId.get(2).getField("error")).startsWith("INVALID_INPUT: the server answered HTTP 400: ")
                .contains("features");
        assertThat(byId.get(1).getField("error")).isNull();
        assertThat(toFloats(byId.get(1).getField("logits"))).hasSize(3);
        assertThat(byId.get(3).getField("error")).isNull();
    }

    @Test
    void theServersMetadataChecksTheColumnsWhenPlanned() {
        StreamTableEnvironment tEnv = tableEnv();
        tEnv.executeSql("CREATE TEMPORARY TABLE src (text STRING) WITH ('connector' = 'datagen')");
        tEnv.executeSql("CREATE TEMPORARY MODEL wrong INPUT (text STRING) OUTPUT (vector ARRAY<FLOAT>) WITH ("
                + "'provider' = 'streaminfer', 'model' = '" + MODEL + "', 'endpoint' = '" + endpoint + "', "
                + "'remote.token' = '" + TOKEN + "')");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tEnv.explainSql(
                "SELECT * FROM ML_PREDICT(TABLE src, MODEL wrong, DESCRIPTOR(text))"))
                .hasStackTraceContaining("OUTPUT column 'vector' is not an output of model 'all-minilm-l6-v2'")
                .hasStackTraceContaining("metadata " + endpoint + "/v2/models/all-minilm-l6-v2");
        tEnv.executeSql("CREATE TEMPORARY MODEL missing INPUT (text STRING) OUTPUT (vector ARRAY<FLOAT>) WITH ("
                + "'provider' = 'streaminfer', 'model' = 'nope', 'endpoint' = '" + endpoint + "', "
                + "'remote.token' = '" + TOKEN + "')");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tEnv.explainSql(
                "SELECT * FROM ML_PREDICT(TABLE src, MODEL missing, DESCRIPTOR(text))"))
                .hasStackTraceContaining("has no model 'nope'");
    }

    static float[] toFloats(Object array) {
        if (array instanceof float[] f) {
            return f;
        }
        Float[] boxed = (Float[]) array;
        float[] out = new float[boxed.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = boxed[i];
        }
        return out;
    }
}
