package io.streaminfer.job.bench;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.job.testing.SyntheticText;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The raw model runtime's throughput, the limit the pipeline benchmarks compare against: sentences per second and
 * time per batch for each batch size and sentence length, with {@code --workers} callers at once (each on its own
 * predictor). With {@code --soak N} it instead runs N predictions and prints the resident memory as it goes, to show
 * that native memory stays flat. Run it through {@code deploy/bin/bench-model}, which also compares thread layouts.
 */
@Command(name = "bench-model", mixinStandardHelpOptions = true,
        description = "Benchmark the raw model runtime (no Flink, no Kafka).")
public final class RuntimeBenchmark implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "all-minilm-l6-v2")
    String model;

    @Option(names = "--models-dir")
    Path modelsDir;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,4,8,16,32,64")
    int[] batchSizes;

    @Option(names = "--lengths", split = ",", defaultValue = "short,long",
            description = "short (~12 tokens) and/or long (~128 tokens).")
    String[] lengths;

    @Option(names = "--seconds", defaultValue = "4", description = "Measured time per point.")
    double seconds;

    @Option(names = "--workers", defaultValue = "2", description = "Concurrent callers, each with a predictor.")
    int workers;

    @Option(names = "--intra-op-threads", defaultValue = "1")
    int intraOp;

    @Option(names = "--soak", defaultValue = "0", description = "Run this many predictions and report RSS instead.")
    long soak;

    @Option(names = "--soak-batch", defaultValue = "32")
    int soakBatch;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RuntimeBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = modelsDir != null ? modelsDir
                : Path.of(System.getenv().getOrDefault("STREAMINFER_MODELS_DIR", "deploy/models"));
        long rssBefore = Stats.rssMiB();
        try (ModelRuntime runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(dir).models(Set.of(model))
                .workers(workers).threads(intraOp, 1).build())) {
            ModelReplica replica = runtime.replica(model, null);
            System.out.printf("model %s on %s, %d worker(s) x %d intra-op thread(s), %d cores; RSS %d MiB before "
                            + "load, %d MiB after%n", model, replica.device(), workers, intraOp,
                    Runtime.getRuntime().availableProcessors(), rssBefore, Stats.rssMiB());
            if (soak > 0) {
                soak(replica);
            } else {
                sweep(replica);
            }
        }
        return 0;
    }

    private void sweep(ModelReplica replica) throws Exception {
        System.out.printf("%-6s %6s %12s %10s %10s %10s%n", "length", "batch", "sentences/s", "p50 ms", "p95 ms",
                "batches");
        for (String length : lengths) {
            int words = "long".equals(length) ? 120 : 9;
            for (int batch : batchSizes) {
                List<List<InferenceRequest>> pool = batches(words, batch, 16);
                run(replica, pool, Math.min(2.0, seconds / 2)); // warm-up: first calls per shape are slow
                Result r = run(replica, pool, seconds);
                System.out.printf("%-6s %6d %12.1f %10.1f %10.1f %10d%n", length, batch,
                        r.rows / r.elapsedSec, r.stats.percentileMs(50), r.stats.percentileMs(95), r.stats.count());
            }
        }
    }

    private void soak(ModelReplica replica) throws Exception {
        List<List<InferenceRequest>> pool = batches(9, soakBatch, 64);
        long step = Math.max(soakBatch, soak / 10);
        long done = 0;
        long nextReport = 0;
        long start = System.nanoTime();
        int i = 0;
        // RSS includes the Java heap; its committed size is printed beside it so native growth can be told apart.
        System.out.printf("%12s %10s %14s %10s%n", "predictions", "RSS MiB", "heap MiB (JVM)", "seconds");
        while (done < soak) {
            for (Prediction p : replica.predictBatch(pool.get(i++ % pool.size()))) {
                if (!p.isSuccess()) {
                    throw new IllegalStateException("prediction failed: " + p);
                }
            }
            done += soakBatch;
            if (done >= nextReport) {
                printSoak(done, start);
                nextReport += step;
            }
        }
        printSoak(done, start);
    }

    private static void printSoak(long done, long start) {
        System.out.printf("%12d %10d %14d %10.1f%n", done, Stats.rssMiB(), Runtime.getRuntime().totalMemory() >> 20,
                (System.nanoTime() - start) / 1e9);
    }

    private static List<List<InferenceRequest>> batches(int words, int batch, int count) {
        SyntheticText text = new SyntheticText(42);
        List<List<InferenceRequest>> pool = new ArrayList<>();
        int id = 0;
        for (int b = 0; b < count; b++) {
            List<InferenceRequest> requests = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                requests.add(new InferenceRequest("b" + id++, List.of(Tensor.ofStrings("text", text.sentence(words)))));
            }
            pool.add(requests);
        }
        return pool;
    }

    private static final class Result {
        final long rows;
        final double elapsedSec;
        final Stats stats;

        Result(long rows, double elapsedSec, Stats stats) {
            this.rows = rows;
            this.elapsedSec = elapsedSec;
            this.stats = stats;
        }
    }

    private Result run(ModelReplica replica, List<List<InferenceRequest>> pool, double secs) throws Exception {
        ExecutorService pool2 = Executors.newFixedThreadPool(workers);
        long deadline = System.nanoTime() + (long) (secs * 1e9);
        AtomicLong rows = new AtomicLong();
        long[][] times = new long[workers][200_000];
        int[] counts = new int[workers];
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            final int me = w;
            futures.add(pool2.submit(() -> {
                int i = me;
                while (System.nanoTime() < deadline && counts[me] < times[me].length) {
                    List<InferenceRequest> batch = pool.get(i++ % pool.size());
                    long t0 = System.nanoTime();
                    List<Prediction> out = replica.predictBatch(batch);
                    times[me][counts[me]++] = System.nanoTime() - t0;
                    if (!out.get(0).isSuccess()) {
                        throw new IllegalStateException(out.get(0).toString());
                    }
                    rows.addAndGet(batch.size());
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool2.shutdown();
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] all = new long[total];
        int k = 0;
        for (int w = 0; w < workers; w++) {
            System.arraycopy(times[w], 0, all, k, counts[w]);
            k += counts[w];
        }
        return new Result(rows.get(), elapsed, new Stats(all, total));
    }
}
