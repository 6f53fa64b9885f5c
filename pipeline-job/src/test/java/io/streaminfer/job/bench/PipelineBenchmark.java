package io.streaminfer.job.bench;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.InferencePipeline;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.RuntimeOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One run, one machine, one model: (1) the raw runtime at the pipeline's batch size and workers, the limit;
 * (2) the real job Kafka → Flink → Kafka with micro-batching; (3) the same job with one model call per request, the
 * naive way; (4) the same job with a no-op model, the pipeline's own ceiling. Broker, Flink and clients share this
 * JVM and machine, as the raw runtime does. Prints figures and ratios; asserts nothing. Run it with
 * {@code deploy/bin/bench-pipeline}.
 */
@Command(name = "bench-pipeline", mixinStandardHelpOptions = true,
        description = "Raw model vs Kafka -> Flink -> Kafka (micro-batched, naive, no-op model), in one run.")
public final class PipelineBenchmark implements Callable<Integer> {
    /**
     * Warm-up requests: at least this many, or a fifth of the measured ones. Broker, Flink and clients are a lot of
     * code for the JIT, and at a few hundred requests/s with the model taking both cores it compiles slowly (with
     * 5% as warm-up its compiler threads took 16% of the measured phase's CPU, with a fifth still ~10%).
     */
    private static final int WARM_UP = 200;

    @Option(names = "--flink", description = "A Flink setting for the pipeline jobs, key=value; repeatable "
            + "(e.g. --flink state.backend.rocksdb.compaction.style=UNIVERSAL).")
    Map<String, String> flinkSettings;
    private static final double SUSTAINED_SECONDS = 25; // of work at the raw rate, when --requests is not given

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2")
    String model;

    @Option(names = "--batch-size", defaultValue = "32", description = "Max batch size, raw and pipeline alike.")
    int batchSize;

    @Option(names = "--workers", description = "Predictors per replica (default: the model's own).")
    Integer workers;

    @Option(names = "--raw-seconds", description = "Measured seconds of the raw runtime (default 10).")
    Double rawSeconds;

    @Option(names = "--requests", description = "Requests of the sustained pipeline phase "
            + "(default: ~25 s of work at the raw rate).")
    Integer requests;

    @Option(names = "--naive-requests", description = "Requests of the naive phase (default: a quarter of "
            + "--requests: one call per request runs at a third of the raw rate or less).")
    Integer naiveRequests;

    @Option(names = "--noop-requests", description = "Requests of the no-op model phase (default 200000).")
    Integer noopRequests;

    @Option(names = "--moderate-seconds", description = "Seconds of the open-loop phase at 50%% load (default 10).")
    Double moderateSeconds;

    @Option(names = "--warm-up", description = "Warm-up requests of each pipeline variant (default: a fifth of "
            + "its measured requests, at least 200).")
    Integer warmUp;

    @Option(names = "--variants", split = ",", defaultValue = "raw,pipeline,naive,noop",
            description = "Subset of raw,pipeline,naive,noop.")
    List<String> variants;

    @Option(names = "--quick", description = "Small counts: a smoke run of about a minute.")
    boolean quick;

    private final List<Row> rows = new ArrayList<>();
    private final List<String> cpuReport = new ArrayList<>();
    private final List<String> sentences = new ArrayList<>();
    private Path modelsDir;
    /** The most CPU other processes took during a measured phase, in cores: how noisy the figures are. */
    private double othersMax;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PipelineBenchmark()).execute(args));
    }

    private record Row(String variant, long requests, double seconds, double rate, double p50, double p95,
            double p99, String note) {}

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        if (!List.of("raw", "pipeline", "naive", "noop").containsAll(variants)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--variants takes raw, pipeline, naive and noop, not " + variants);
        }
        rawSeconds = pick(rawSeconds, 3.0, 10.0);
        noopRequests = pick(noopRequests, 20_000, 200_000);
        moderateSeconds = pick(moderateSeconds, 3.0, 10.0);
        modelsDir = Path.of(System.getenv().getOrDefault("STREAMINFER_MODELS_DIR", "deploy/models"))
                .toAbsolutePath();
        ModelConfig modelConfig = ModelRepository.open(modelsDir).model(model).config();
        int w = workers != null ? workers : modelConfig.workers();
        SyntheticText text = new SyntheticText(11);
        for (int i = 0; i < 512; i++) {
            sentences.add(text.sentence(9)); // ~12 tokens each
        }

        CpuMeter idle = new CpuMeter();
        Thread.sleep(1000);
        double othersBefore = idle.since().otherCores();
        System.out.printf("machine: %d cores; load average before start: %s; other processes used %.2f cores in "
                        + "the second before start%n", Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).trim(), othersBefore);
        System.out.printf("model: %s, max batch size %d, %d worker(s) x %d intra-op thread(s); short sentences "
                + "(~12 tokens)%n", model, batchSize, w, modelConfig.threads().intraOp());
        System.out.flush();

        double raw = Double.NaN;
        if (variants.contains("raw")) {
            raw = raw(w);
        }
        int sustained = requests != null ? requests : quick ? 600
                : Double.isNaN(raw) ? 8_000 : (int) Math.max(2_000, raw * SUSTAINED_SECONDS);
        int naive = naiveRequests != null ? naiveRequests : quick ? 300 : sustained / 4;
        if (variants.stream().anyMatch(v -> !v.equals("raw"))) {
            try (EmbeddedKafka kafka = startBroker()) {
                if (variants.contains("pipeline")) {
                    pipeline(kafka, "pipeline", batchSize, false, sustained, true);
                }
                if (variants.contains("naive")) {
                    pipeline(kafka, "naive", 1, false, naive, false);
                }
                if (variants.contains("noop")) {
                    pipeline(kafka, "noop", batchSize, true, noopRequests, true);
                }
            }
        }
        print(raw, othersBefore, (System.nanoTime() - started) / 1e9);
        return 0;
    }

    /** Kafka's test kit prints its formatting to System.out: keep stdout for the figures. */
    private static EmbeddedKafka startBroker() {
        PrintStream out = System.out;
        System.setOut(System.err);
        try {
            // Under a 2-core benchmark the broker's heartbeats can be late; do not let it fence itself.
            return EmbeddedKafka.start(Map.of("broker.session.timeout.ms", "30000"));
        } finally {
            System.setOut(out);
        }
    }

    private <T> T pick(T given, T quickValue, T fullValue) {
        return given != null ? given : quick ? quickValue : fullValue;
    }

    /** The limit: predictBatch in a closed loop, one caller per worker, full batches of the pipeline's size. */
    private double raw(int w) throws Exception {
        RuntimeOptions.Builder options = RuntimeOptions.builder().modelsDir(modelsDir).models(Set.of(model));
        if (workers != null) {
            options.workers(workers);
        }
        try (ModelRuntime runtime = ModelRuntime.load(options.build())) {
            ModelReplica replica = runtime.replica(model, null);
            List<List<InferenceRequest>> batches = new ArrayList<>();
            for (int b = 0; b < 16; b++) {
                List<InferenceRequest> batch = new ArrayList<>();
                for (int i = 0; i < batchSize; i++) {
                    batch.add(new InferenceRequest("r" + i, List.of(Tensor.ofStrings("text",
                            sentences.get((b * batchSize + i) % sentences.size())))));
                }
                batches.add(batch);
            }
            ExecutorService pool = Executors.newFixedThreadPool(w);
            try {
                closedLoop(replica, batches, pool, w, Math.min(3, rawSeconds)); // warm-up: first shapes are slow
                CpuMeter meter = new CpuMeter();
                long[][] perWorker = closedLoop(replica, batches, pool, w, rawSeconds);
                CpuMeter.Usage cpu = meter.since();
                othersMax = Math.max(othersMax, cpu.otherCores());
                long[] times = Arrays.stream(perWorker).flatMapToLong(Arrays::stream).toArray();
                long sentencesDone = (long) times.length * batchSize;
                double secs = cpu.wallNanos() / 1e9;
                Stats s = new Stats(times, times.length);
                rows.add(new Row("raw model (limit)", sentencesDone, secs, sentencesDone / secs,
                        s.percentileMs(50), s.percentileMs(95), s.percentileMs(99),
                        "latency = one batch of " + batchSize));
                cpuReport.add(String.format("raw: %.0f µs CPU/sentence; %s; this JVM's CPU by thread:",
                        cpu.processNanos() / 1e3 / sentencesDone, cpu.summary()));
                cpu.top(3).forEach(line -> cpuReport.add("    " + line));
                return sentencesDone / secs;
            } finally {
                pool.shutdown();
            }
        }
    }

    /** Each worker calls predictBatch back to back for {@code secs}; returns each worker's batch times. */
    private static long[][] closedLoop(ModelReplica replica, List<List<InferenceRequest>> batches,
            ExecutorService pool, int w, double secs) throws Exception {
        long end = System.nanoTime() + (long) (secs * 1e9);
        List<Future<long[]>> futures = new ArrayList<>();
        for (int k = 0; k < w; k++) {
            int me = k;
            futures.add(pool.submit(() -> {
                long[] times = new long[1024];
                int n = 0;
                for (int i = me; System.nanoTime() < end; i++) {
                    long t0 = System.nanoTime();
                    if (!replica.predictBatch(batches.get(i % batches.size())).get(0).isSuccess()) {
                        throw new IllegalStateException("the raw model failed a batch");
                    }
                    times = n == times.length ? Arrays.copyOf(times, n * 2) : times;
                    times[n++] = System.nanoTime() - t0;
                }
                return Arrays.copyOf(times, n);
            }));
        }
        long[][] out = new long[w][];
        for (int k = 0; k < w; k++) {
            out[k] = futures.get(k).get();
        }
        return out;
    }

    /** One variant of the real job on its own topics: warm-up, sustained burst, then optionally 50% load. */
    private void pipeline(EmbeddedKafka kafka, String name, int maxBatch, boolean noOp, int n, boolean moderate)
            throws Exception {
        String prefix = "bench-" + name;
        kafka.createTopic(prefix + ".requests", 2);
        kafka.createTopic(prefix + ".results", 2);
        kafka.createTopic(prefix + ".status", 2, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(prefix + ".dlq", 1);
        JobConfig config = JobConfig.parse("job-name: " + prefix + "\n"
                + "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', group-id: " + prefix + "}\n"
                + "topics: {requests: " + prefix + ".requests, results: " + prefix + ".results, status: "
                + prefix + ".status, dead-letters: " + prefix + ".dlq}\n"
                + "models: {dir: '" + modelsDir + "', serve: [" + model + "], no-op-model: " + noOp
                + (workers != null ? ", workers: " + workers : "") + "}\n"
                + "batching: {defaults: {max-batch-size: " + maxBatch + ", max-delay-ms: 5}}\n"
                + "delivery: {guarantee: at-least-once}\n"
                + "checkpointing: {interval-ms: 2000, dir: 'file:///tmp/si-bench-checkpoints/" + prefix + "'}\n"
                + "state: {rocksdb-local-dir: /tmp/si-bench-rocks}\n");
        if (flinkSettings != null) {
            config.flink.putAll(flinkSettings);
        }
        Configuration conf = new Configuration();
        set(conf, "taskmanager.memory.managed.size", "128m");
        set(conf, "state.backend.rocksdb.localdir", "/tmp/si-bench-rocks"); // a short path: RocksDB's limit
        set(conf, "rest.bind-port", "0"); // never collide with another MiniCluster on this machine
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        InferenceJob.configure(env, config);
        InferencePipeline.build(env, config);
        JobClient job = env.executeAsync(prefix);
        try (ResultWatcher watcher = new ResultWatcher(kafka.bootstrapServers(), config.topics.results);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(kafka))) {
            Requests warm = new Requests('w', warmUp != null ? warmUp : Math.max(WARM_UP, n / 5));
            warm.send(producer, config, watcher, 0); // the model loads and the first shapes compile here
            watcher.await('w', Duration.ofMinutes(2));

            Requests burst = new Requests('s', n); // serialized before the clock starts
            CpuMeter meter = new CpuMeter();
            long[] sent = burst.send(producer, config, watcher, 0);
            int got = watcher.await('s', Duration.ofSeconds(60));
            CpuMeter.Usage cpu = meter.since();
            othersMax = Math.max(othersMax, cpu.otherCores());
            long[] arrived = watcher.arrivals('s');
            double[] middle = middleRate(arrived, got);
            double[] lat = latencies(sent, arrived);
            String note = (got < n ? "ONLY " + got + " of " + n + " results; " : "")
                    + (watcher.errors('s') > 0 ? watcher.errors('s') + " ERROR results; " : "")
                    + "burst: latency includes queueing in Kafka";
            rows.add(new Row(name + " sustained", got, middle[1], middle[0], lat[0], lat[1], lat[2], note));
            cpuReport.add(String.format("%s sustained: %.0f µs CPU/request (broker + Flink + clients, all in this "
                    + "JVM); %s; this JVM's CPU by thread:", name, cpu.processNanos() / 1e3 / n, cpu.summary()));
            cpu.top(8).forEach(line -> cpuReport.add("    " + line));

            if (moderate && !Double.isNaN(middle[0])) {
                double rate = middle[0] * 0.5;
                int m = (int) Math.max(20, rate * moderateSeconds);
                Requests paced = new Requests('m', m);
                CpuMeter mMeter = new CpuMeter();
                long[] mSent = paced.send(producer, config, watcher, rate);
                int mGot = watcher.await('m', Duration.ofSeconds(60));
                othersMax = Math.max(othersMax, mMeter.since().otherCores());
                double[] mLat = latencies(mSent, watcher.arrivals('m'));
                double secs = (mSent[m - 1] - mSent[0]) / 1e9;
                rows.add(new Row(name + " at 50% load", mGot, secs, (m - 1) / secs, mLat[0], mLat[1], mLat[2],
                        "open loop, offered rate" + (mGot < m ? "; ONLY " + mGot + " of " + m + " results" : "")));
            }
        } finally {
            cancel(job);
        }
    }

    private static void set(Configuration conf, String key, String value) {
        conf.set(ConfigOptions.key(key).stringType().noDefaultValue(), value);
    }

    /** Cancels the job and waits until it has ended, so the next variant has the machine to itself. */
    private static void cancel(JobClient job) throws Exception {
        job.cancel().get(1, TimeUnit.MINUTES);
        job.getJobExecutionResult().handle((r, e) -> null).get(2, TimeUnit.MINUTES);
    }

    private static Properties producerProps(EmbeddedKafka kafka) {
        Properties p = kafka.producerProps(); // acks=all, idempotent: what a careful producer uses
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-producer");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536"); // a burst fills batches by itself; linger stays 0
        return p;
    }

    /** A phase's requests, keyed {@code <phase>-<index>} (what ResultWatcher parses), made before sending. */
    private final class Requests {
        final char phase;
        final byte[][] keys;
        final byte[][] bodies;

        Requests(char phase, int n) {
            this.phase = phase;
            keys = new byte[n][];
            bodies = new byte[n][];
            for (int i = 0; i < n; i++) {
                String id = phase + "-" + i;
                keys[i] = id.getBytes(StandardCharsets.US_ASCII);
                bodies[i] = OipJson.writeRequest(new InferenceRequest(id, List.of(Tensor.ofStrings("text",
                        sentences.get(i % sentences.size())))));
            }
        }

        /** Sends all as fast as the producer takes them ({@code rate} 0) or paced open-loop; returns send times. */
        long[] send(KafkaProducer<byte[], byte[]> producer, JobConfig config, ResultWatcher watcher, double rate) {
            watcher.expect(phase, keys.length);
            long[] sent = new long[keys.length];
            byte[] modelHeader = model.getBytes(StandardCharsets.UTF_8);
            long start = System.nanoTime();
            for (int i = 0; i < keys.length; i++) {
                if (rate > 0) {
                    // Open loop: each request goes at its own time whatever the pipeline does; parking, not
                    // spinning, so the pacer does not take a core from the pipeline.
                    long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                RecordHeaders h = new RecordHeaders();
                h.add(KafkaContract.HEADER_MODEL, modelHeader);
                sent[i] = System.nanoTime();
                producer.send(new ProducerRecord<>(config.topics.requests, null, null, keys[i], bodies[i], h));
            }
            producer.flush();
            return sent;
        }
    }

    /**
     * Completed results per second between the 10% and the 90% result, leaving out the start (the burst filling
     * the pipeline) and the tail (the last partial batches); returns {rate, seconds measured}.
     */
    private static double[] middleRate(long[] arrived, int got) {
        long[] t = Arrays.stream(arrived).filter(a -> a != 0).sorted().toArray();
        if (t.length < 10) {
            return new double[] {Double.NaN, Double.NaN};
        }
        int from = (int) (got * 0.1);
        int to = (int) (got * 0.9) - 1;
        double secs = (t[to] - t[from]) / 1e9;
        return new double[] {(to - from) / secs, secs};
    }

    private static double[] latencies(long[] sent, long[] arrived) {
        long[] lat = new long[sent.length];
        int k = 0;
        for (int i = 0; i < sent.length; i++) {
            if (arrived[i] != 0) {
                lat[k++] = arrived[i] - sent[i];
            }
        }
        Stats s = new Stats(lat, k);
        return new double[] {s.percentileMs(50), s.percentileMs(95), s.percentileMs(99)};
    }

    private void print(double raw, double othersBefore, double runSeconds) throws Exception {
        System.out.println();
        System.out.printf("%-22s %9s %8s %10s %9s %9s %9s  %s%n", "variant", "requests", "seconds", "req/s",
                "p50 ms", "p95 ms", "p99 ms", "note");
        for (Row r : rows) {
            System.out.printf("%-22s %9d %8.1f %10.1f %9.1f %9.1f %9.1f  %s%n", r.variant(), r.requests(),
                    r.seconds(), r.rate(), r.p50(), r.p95(), r.p99(), r.note());
        }
        System.out.println("(sustained: seconds and req/s between the 10% and the 90% result, latency of all "
                + "results, mostly the queue of the burst; raw: latency of one batch; 50% load: open loop at the "
                + "offered rate)");
        System.out.println();
        double pipeline = rate("pipeline sustained");
        double naive = rate("naive sustained");
        double noop = rate("noop sustained");
        System.out.printf("pipeline / raw   = %s   (target >= 0.90)%n", ratio(pipeline, raw));
        System.out.printf("naive / raw      = %s%n", ratio(naive, raw));
        System.out.printf("pipeline / naive = %s%n", ratio(pipeline, naive));
        System.out.printf("no-op pipeline   = %s req/s   (target >= 10000 on this 2-core machine, broker "
                + "included: %s)%n", Double.isNaN(noop) ? "-" : String.format("%.0f", noop),
                Double.isNaN(noop) ? "-" : noop >= 10_000 ? "met" : "NOT met");
        System.out.println();
        cpuReport.forEach(System.out::println);
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        boolean noisy = Math.max(othersBefore, othersMax) > 0.2;
        System.out.printf("%nrun took %.0f s; load average now %s; %s%n", runSeconds, load, noisy
                ? "NOISY: other processes used > 0.2 cores during a measured phase (see above): figures are low"
                : "quiet: other processes used < 0.2 cores in every measured phase");
    }

    private double rate(String variant) {
        return rows.stream().filter(r -> r.variant().equals(variant)).mapToDouble(Row::rate).findFirst()
                .orElse(Double.NaN);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? "-" : String.format("%.2f", a / b);
    }
}
