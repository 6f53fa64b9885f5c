package io.streaminfer.job.bench;

import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.job.testing.RealTexts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * ML_PREDICT with the streaminfer provider (rows of a subtask batched onto the model) against the same query with
 * batching off ({@code 'max-batch-size' = '1'}: one model call per row, what Flink's own providers do), on the same
 * real texts, the same model, workers and {@code max-concurrent-operations}. Rows/s from the first result row to
 * the last (the job's start and the model's load are left out: both variants pay them alike).
 */
@Command(name = "bench-sql", mixinStandardHelpOptions = true,
        description = "ML_PREDICT rows/s: batched provider vs one model call per row, same texts.")
public final class SqlBenchmark implements Callable<Integer> {
    @Option(names = "--rows", description = "texts per variant (default 1200; --quick 300)")
    Integer rows;

    @Option(names = "--quick", description = "a smoke run")
    boolean quick;

    @Option(names = "--concurrency", defaultValue = "256",
            description = "ML_PREDICT's max-concurrent-operations, both variants (default ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--max-words", defaultValue = "0",
            description = "only texts of at most this many words (0: all; the corpus is long-tailed, median 23)")
    int maxWords;

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2")
    String model;

    @Option(names = "--variants", split = ",", defaultValue = "batched,single",
            description = "batched, single (default both)")
    List<String> variants;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SqlBenchmark()).execute(args));
    }

    private record Result(String variant, int rows, double seconds, double rate, long failed, double rowsPerCall,
            double rowsPerCpuSecond, String cpu) {}

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        int n = rows != null ? rows : quick ? 300 : 1200;
        Path modelsDir = Path.of(System.getenv().getOrDefault("STREAMINFER_MODELS_DIR", "deploy/models"))
                .toAbsolutePath();
        ModelConfig config = ModelRepository.open(modelsDir).model(model).config();
        List<String> all = RealTexts.load(modelsDir).stream()
                .filter(t -> maxWords == 0 || t.trim().split("\\s+").length <= maxWords).toList();
        List<String> texts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            texts.add(all.get(i % all.size()));
        }
        CpuMeter idle = new CpuMeter();
        Thread.sleep(1000);
        double othersBefore = idle.since().otherCores();
        System.out.printf("machine: %d cores; load average before start: %s; other processes used %.2f cores%n",
                Runtime.getRuntime().availableProcessors(), load(), othersBefore);
        System.out.printf("model: %s, %d worker(s), batches of <= %d rows and <= %d padded tokens; %d real texts "
                + "(deploy/data/sotu-texts.txt%s); max-concurrent-operations %d; parallelism 1%n", model,
                config.workers(), config.maxBatchSize(), config.maxBatchTokens(), n, maxWords == 0 ? ""
                        : ", those of <= " + maxWords + " words", concurrency);
        System.out.flush();

        List<Result> results = new ArrayList<>();
        for (String v : variants) {
            if (!v.equals("batched") && !v.equals("single")) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown variant " + v);
            }
            results.add(run(v, texts, modelsDir));
        }
        System.out.println();
        System.out.printf("%-44s %6s %8s %8s %7s %9s %12s%n", "variant", "rows", "seconds", "rows/s", "failed",
                "rows/call", "rows/cpu-s");
        for (Result r : results) {
            System.out.printf("%-44s %6d %8.1f %8.1f %7d %9s %12.1f%n", r.variant(), r.rows(), r.seconds(), r.rate(),
                    r.failed(), Double.isNaN(r.rowsPerCall()) ? "n/a" : String.format("%.1f", r.rowsPerCall()),
                    r.rowsPerCpuSecond());
        }
        System.out.println("(rows/s from the first result row to the last; rows/call: mean rows per model call; "
                + "rows/cpu-s: rows per CPU-second this JVM used meanwhile, which other processes disturb less)");
        for (Result r : results) {
            System.out.println(r.variant() + ": " + r.cpu());
        }
        if (results.size() == 2) {
            System.out.printf("%nbatched / one call per row = %.2fx rows/s, %.2fx rows per CPU-second   (target >= 2 "
                    + "on CPU)%n", results.get(0).rate() / results.get(1).rate(),
                    results.get(0).rowsPerCpuSecond() / results.get(1).rowsPerCpuSecond());
        }
        System.out.printf("run took %.0f s; load average now %s%n", (System.nanoTime() - started) / 1e9, load());
        return 0;
    }

    private Result run(String variant, List<String> texts, Path modelsDir) throws Exception {
        Configuration conf = new Configuration();
        conf.setString("rest.bind-port", "0");
        conf.setString("restart-strategy.type", "none");
        InMemoryReporter reporter = InMemoryReporter.createWithRetainedMetrics();
        reporter.addToConfiguration(conf);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        env.setParallelism(1);
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        List<Row> docs = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            docs.add(Row.of(i, texts.get(i)));
        }
        // A DataStream source, not VALUES: the planner turns a large VALUES into a union of many operators.
        tEnv.createTemporaryView("docs", tEnv.fromDataStream(env.fromData(docs, Types.ROW_NAMED(
                new String[] {"id", "text"}, Types.INT, Types.STRING))));
        boolean single = variant.equals("single");
        tEnv.executeSql("CREATE TEMPORARY MODEL emb INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>, error STRING) "
                + "WITH ('provider' = 'streaminfer', 'model' = '" + model + "', 'models-dir' = '" + modelsDir
                + "', 'error-column' = 'error'" + (single ? ", 'max-batch-size' = '1'" : "") + ")");
        String name = single ? "one model call per row (max-batch-size 1)" : "streaminfer, batched (defaults)";
        long first = 0;
        long last = 0;
        int count = 0;
        long failed = 0;
        CpuMeter cpu = null;
        CpuMeter.Usage used = null;
        org.apache.flink.table.api.TableResult result = tEnv.executeSql("SELECT id, embedding, error FROM ML_PREDICT(TABLE docs, "
                + "MODEL emb, DESCRIPTOR(text), MAP['max-concurrent-operations', '" + concurrency + "'])");
        try (CloseableIterator<Row> it = result.collect()) {
            while (it.hasNext()) {
                Row r = it.next();
                long now = System.nanoTime();
                if (count == 0) {
                    first = now;
                    cpu = new CpuMeter();
                }
                last = now;
                if (count == texts.size() - 1) {
                    used = cpu.since();
                }
                count++;
                if (r.getField("error") != null) {
                    failed++;
                }
            }
        }
        double seconds = (last - first) / 1e9;
        double perCall = Double.NaN;
        for (org.apache.flink.metrics.Metric m : reporter.findMetrics(result.getJobClient().orElseThrow().getJobID(),
                "batchRows").values()) {
            perCall = ((org.apache.flink.metrics.Histogram) m).getStatistics().getMean();
        }
        reporter.close();
        double perCpu = used == null ? Double.NaN : (count - 1) / (used.processNanos() / 1e9);
        return new Result(name, count, seconds, (count - 1) / seconds, failed, perCall, perCpu,
                used == null ? "" : used.summary());
    }

    private static String load() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
