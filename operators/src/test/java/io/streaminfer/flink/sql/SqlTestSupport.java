package io.streaminfer.flink.sql;

import io.streaminfer.runtime.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

/** A real TableEnvironment on the test's MiniCluster, and the SQL of the models the tests create. */
final class SqlTestSupport {
    private SqlTestSupport() {}

    /** Streaming mode (ML_PREDICT has only a streaming plan); a failed row's 'fail' ends the query, no restarts. */
    static StreamTableEnvironment tableEnv(boolean checkAtCreate) {
        Configuration conf = new Configuration();
        conf.setString("restart-strategy.type", "none");
        if (checkAtCreate) {
            conf.setString("table.catalog-modification.listeners", "streaminfer");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        return StreamTableEnvironment.create(env);
    }

    static String modelsDir() {
        return TestModels.modelsDir().toString();
    }

    /** CREATE MODEL for the repository's default model with extra WITH options. */
    static String createMiniLm(String name, String columns, String extraOptions) {
        return "CREATE TEMPORARY MODEL " + name + " " + columns + " WITH ('provider' = 'streaminfer', "
                + "'model' = 'all-minilm-l6-v2', 'models-dir' = '" + modelsDir() + "'" + extraOptions + ")";
    }

    static List<Row> collect(CloseableIterator<Row> it) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (it) {
            it.forEachRemaining(rows::add);
        }
        return rows;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static float[] floats(Object array) {
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
