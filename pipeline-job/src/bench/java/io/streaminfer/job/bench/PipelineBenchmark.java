package io.streaminfer.job.bench;

import com.sun.net.httpserver.HttpServer;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.InferencePipeline;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RuntimeOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * One run, one machine, one model, real texts of long-tailed lengths (deploy/data): (1) the raw runtime on the texts
 * sorted by length and packed into ideal batches of the model's token budget, the limit; (2) the real job Kafka →
 * Flink → Kafka with one text per request, produced as a burst; (3) the same job batching by rows only, as it did
 * before cost budgets (no length grouping, no token budget, 256 requests in flight, a 30 s async timeout), for
 * contrast; (4) the job with a no-op model, the pipeline's own ceiling; optionally the job with one model call per
 * request (naive). Then (2) and (3) open-loop at 70% of (1). Broker, Flink and clients share this JVM and machine,
 * as the raw runtime does. Prints figures and ratios; asserts nothing. Run it with {@code deploy/bin/bench-pipeline}.
 */
@Command(name = "bench-pipeline", mixinStandardHelpOptions = true,
        description = "Raw model (ideal batches) vs Kafka -> Flink -> Kafka (cost-aware, rows only, no-op, naive) on "
                + "real texts, in one run.")
public final class PipelineBenchmark implements Callable<Integer> {
    @Option(names = "--flink", description = "A Flink setting for the pipeline jobs, key=value; repeatable "
            + "(e.g. --flink state.backend.rocksdb.compaction.style=UNIVERSAL).")
    Map<String, String> flinkSettings;

    @Option(names = "--kafka", description = "A Kafka client property of the pipeline jobs (kafka.properties), "
            + "key=value; repeatable (e.g. --kafka linger.ms=5: the sinks' linger, default 1).")
    Map<String, String> kafkaSettings;

    @Option(names = "--accepted-delay-ms", description = "The job's statuses.accepted-delay-ms (default: the "
            + "job's own, 0): ACCEPTED only for requests not ended within it, a status record fewer per request.")
    Long acceptedDelayMs;

    @Option(names = "--result-ttl-minutes", description = "The job's state.result-ttl-minutes (default: the job's "
            + "own, 10): how long results are kept for replays; 60 (the IDs' TTL) keeps them in the outcome.")
    Long resultTtlMinutes;

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2")
    String model;

    @Option(names = "--max-batch-tokens", description = "Token budget, raw and pipeline alike (default: the "
            + "model's max_batch_tokens).")
    Long maxBatchTokens;

    @Option(names = "--workers", description = "Predictors per replica (default: the model's own).")
    Integer workers;

    @Option(names = "--texts", description = "Texts of the burst (default 3000; the corpus is cycled).")
    Integer texts;

    @Option(names = "--load-seconds", description = "Seconds of the open-loop phase at 70%% of the raw rate "
            + "(default 20).")
    Double loadSeconds;

    @Option(names = "--noop-requests", description = "Requests of the no-op model phase (default 200000).")
    Integer noopRequests;

    @Option(names = "--tracing-ratio", description = "Tracing on in the job, at this sampler ratio (0 to 1; the "
            + "requests bring no traceparent), its spans exported over OTLP to a sink in this process that drops "
            + "them; absent: tracing off, the default (docs/tracing.md).")
    Double tracingRatio;

    /** Where the job's spans go with --tracing-ratio: an OTLP/HTTP endpoint that answers 200 and keeps nothing. */
    private HttpServer spanSink;

    @Option(names = "--variants", split = ",", defaultValue = "raw,pipeline,rows,noop,gpu,large",
            description = "Subset of raw,pipeline,rows,noop,gpu,large,naive,kafka,flink (kafka: after the noop and "
                    + "gpu phases, their requests and records through Kafka alone, without Flink: the floor; flink: "
                    + "through Flink too, with nothing of ours, with no state and with one state per ID).")
    List<String> variants;

    @Option(names = "--gpu-requests", description = "Requests of the GPU stand-in phase (default 100000).")
    Integer gpuRequests;

    @Option(names = "--large-requests", description = "Requests of the large-text phase (default 60).")
    Integer largeRequests;

    @Option(names = "--quick", description = "Small counts: a smoke run of a few minutes.")
    boolean quick;

    @Option(names = "--broker", defaultValue = "jvm", description = "Where the Kafka broker runs: jvm (in this "
            + "JVM, beside Flink and the clients) or process (a JVM of its own, as in production; its CPU is "
            + "counted in the per-request figures and shown apart).")
    String broker;

    @Option(names = "--buffer-timeout-ms", description = "The job's execution.buffer-timeout-ms (default: the "
            + "job's own); 0 flushes every record: lowest latency, a network buffer per record under load.")
    Long bufferTimeoutMs;

    private static final double LOAD_FRACTION = 0.7;
    /** Partitions of each phase's requests topic, so the job's source and the Kafka-alone relay run two readers. */
    private static final int REQUEST_PARTITIONS = 2;
    private static final int WARM_UP = 300;
    /** Compile time per wall time (summed over compiler threads) below which the JIT counts as quiet. */
    private static final double JIT_QUIET = 0.05;
    private static final int MAX_WARM_ROUNDS = 30;
    private static final long MAX_WARM_NANOS = 100_000_000_000L;

    private final List<Row> rows = new ArrayList<>();
    private final List<String> cpuReport = new ArrayList<>();
    private final List<String> gpuReport = new ArrayList<>();
    private double lastCpuMicrosPerRequest;
    private long lastModelNanos;
    private long lastPrepareNanos;
    private long lastGpuBusyNanos;
    private final List<String> largeReport = new ArrayList<>();
    private List<String> corpus;
    private Path modelsDir;
    private long budget;
    private int maxRows;
    /** The most CPU other processes took during a measured phase, in cores: how noisy the figures are. */
    private double othersMax;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PipelineBenchmark()).execute(args));
    }

    private record Row(String variant, long texts, double seconds, double rate, int failures, double padding,
            double p50, double p99, String note) {}

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        if (!List.of("jvm", "process").contains(broker)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--broker takes jvm or process, not " + broker);
        }
        if (!List.of("raw", "pipeline", "rows", "noop", "gpu", "large", "naive", "kafka", "flink")
                .containsAll(variants)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--variants takes raw, pipeline, rows, noop, gpu, large, naive, kafka and flink, not " + variants);
        }
        if ((variants.contains("kafka") || variants.contains("flink")) && !variants.contains("noop")
                && !variants.contains("gpu")) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--variants kafka and flink copy the records of the noop or gpu phase: add noop or gpu");
        }
        largeRequests = largeRequests != null ? largeRequests : quick ? 12 : 60;
        gpuRequests = gpuRequests != null ? gpuRequests : quick ? 20_000 : 100_000;
        int n = texts != null ? texts : quick ? 600 : 3000;
        loadSeconds = loadSeconds != null ? loadSeconds : quick ? 8.0 : 20.0;
        noopRequests = noopRequests != null ? noopRequests : quick ? 20_000 : 200_000;
        modelsDir = Path.of(System.getenv().getOrDefault("STREAMINFER_MODELS_DIR", "deploy/models"))
                .toAbsolutePath();
        ModelConfig modelConfig = ModelRepository.open(modelsDir).model(model).config();
        budget = maxBatchTokens != null ? maxBatchTokens : modelConfig.maxBatchTokens();
        maxRows = modelConfig.maxBatchSize();
        int w = workers != null ? workers : modelConfig.workers();
        List<String> all = RealTexts.load(modelsDir);
        corpus = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            corpus.add(all.get(i % all.size()));
        }

        CpuMeter idle = new CpuMeter();
        Thread.sleep(1000);
        double othersBefore = idle.since().otherCores();
        System.out.printf("machine: %d cores; load average before start: %s; other processes used %.2f cores in "
                        + "the second before start%n", Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).trim(), othersBefore);
        System.out.printf("model: %s, batches of <= %d rows and <= %d padded tokens, %d worker(s) x %d intra-op "
                + "thread(s); %d real texts (deploy/data/sotu-texts.txt: 2 to 875 words, median 23); broker %s; "
                + "buffer timeout %s; ACCEPTED %s; results kept for replays %s; Kafka client settings %s%n",
                model, maxRows, budget, w, modelConfig.threads().intraOp(), n,
                broker.equals("process") ? "in a JVM of its own" : "in this JVM",
                bufferTimeoutMs == null ? "the job's default" : bufferTimeoutMs + " ms",
                acceptedDelayMs == null || acceptedDelayMs == 0 ? "at once" : "held " + acceptedDelayMs + " ms",
                resultTtlMinutes == null ? "the job's default time" : resultTtlMinutes + " min",
                kafkaSettings == null ? "the job's" : kafkaSettings);
        System.out.flush();

        double raw = variants.contains("raw") ? raw(w) : Double.NaN;
        if (variants.stream().anyMatch(v -> !v.equals("raw"))) {
            try (EmbeddedKafka kafka = BenchJobs.startBroker(broker.equals("process"))) {
                if (variants.contains("pipeline")) {
                    pipeline(kafka, "pipeline", "cost-aware (default)", "", n, raw);
                }
                if (variants.contains("rows")) {
                    // What the job did before: rows only, no grouping, capacity in requests, a 30 s timeout.
                    pipeline(kafka, "rows", "rows only (before)", "max-batch-tokens: 1073741824, grouping: false, "
                            + "queue-batches: 0, watchdog-min-ms: 0", n, raw);
                }
                if (variants.contains("naive")) {
                    pipeline(kafka, "naive", "one call per request", "max-batch-size: 1", Math.max(200, n / 4),
                            Double.NaN);
                }
                if (variants.contains("noop")) {
                    pipeline(kafka, "noop", "no-op model", "", noopRequests, Double.NaN);
                    if (variants.contains("kafka") || variants.contains("flink")) {
                        floors(kafka, "noop", "no-op model", noopRequests, corpus, modelsDir);
                    }
                }
                if (variants.contains("gpu")) {
                    gpu(kafka, all);
                }
                if (variants.contains("large")) {
                    large(kafka, all);
                }
            }
        }
        print(raw, othersBefore, (System.nanoTime() - started) / 1e9);
        return 0;
    }

    /**
     * The limit: every text prepared (tokenized), sorted by length and packed into batches within the row and token
     * limits, then run by {@code w} workers back to back. Tokenizing is measured apart: the job does it too, on its
     * task thread beside the model's.
     */
    private double raw(int w) throws Exception {
        RuntimeOptions.Builder options = RuntimeOptions.builder().modelsDir(modelsDir).models(Set.of(model));
        if (workers != null) {
            options.workers(workers);
        }
        try (ModelRuntime runtime = ModelRuntime.load(options.build())) {
            ModelReplica replica = runtime.replica(model, null);
            long t0 = System.nanoTime();
            List<PreparedRequest> prepared = new ArrayList<>(corpus.size());
            for (int i = 0; i < corpus.size(); i++) {
                prepared.add(replica.prepare(new InferenceRequest("r" + i, List.of(Tensor.ofStrings("text",
                        corpus.get(i))))));
            }
            double tokenizeUs = (System.nanoTime() - t0) / 1e3 / corpus.size();
            prepared.sort(Comparator.comparingInt(PreparedRequest::maxRowCost));
            List<List<PreparedRequest>> batches = new ArrayList<>();
            long real = 0;
            long padded = 0;
            List<PreparedRequest> batch = new ArrayList<>();
            for (PreparedRequest p : prepared) {
                // Sorted ascending: p is the longest so far.
                if (!batch.isEmpty() && ((long) (batch.size() + 1) * p.maxRowCost() > budget
                        || batch.size() + 1 > maxRows)) {
                    padded += (long) batch.size() * batch.get(batch.size() - 1).maxRowCost();
                    batches.add(batch);
                    batch = new ArrayList<>();
                }
                batch.add(p);
                real += p.realCost();
            }
            padded += (long) batch.size() * batch.get(batch.size() - 1).maxRowCost();
            batches.add(batch);
            // Longest batches first, so the workers end together.
            List<List<PreparedRequest>> order = new ArrayList<>(batches);
            java.util.Collections.reverse(order);

            ExecutorService pool = Executors.newFixedThreadPool(w);
            try {
                runAll(replica, order.subList(0, Math.min(order.size(), 20)), pool, w); // warm-up
                CpuMeter meter = new CpuMeter();
                long[] times = runAll(replica, order, pool, w);
                CpuMeter.Usage cpu = meter.since();
                othersMax = Math.max(othersMax, cpu.otherCores());
                double secs = cpu.wallNanos() / 1e9;
                Stats s = new Stats(times, times.length);
                double rate = corpus.size() / secs;
                rows.add(new Row("raw model (limit)", corpus.size(), secs, rate, 0, (double) real / padded,
                        s.percentileMs(50), s.percentileMs(99), batches.size() + " ideal batches; latency = one "
                        + "batch; tokenizing " + String.format("%.0f µs/text apart", tokenizeUs)));
                cpuReport.add(String.format("raw: %.0f µs CPU/text; %s; this JVM's CPU by thread:",
                        cpu.processNanos() / 1e3 / corpus.size(), cpu.summary()));
                cpu.top(3).forEach(line -> cpuReport.add("    " + line));
                return rate;
            } finally {
                pool.shutdown();
            }
        }
    }

    /** Runs every batch once on {@code w} workers taking the next one as they free up; returns batch times. */
    private static long[] runAll(ModelReplica replica, List<List<PreparedRequest>> batches, ExecutorService pool,
            int w) throws Exception {
        AtomicInteger next = new AtomicInteger();
        long[] times = new long[batches.size()];
        List<Future<?>> futures = new ArrayList<>();
        for (int k = 0; k < w; k++) {
            futures.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
                    long t0 = System.nanoTime();
                    if (!replica.predictPrepared(batches.get(i), 0).stream().allMatch(p -> p.isSuccess())) {
                        throw new IllegalStateException("the raw model failed a batch");
                    }
                    times[i] = System.nanoTime() - t0;
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        return times;
    }

    /**
     * One variant of the real job on its own topics: warm-up, a burst of {@code n} texts (one per request), then
     * (when {@code raw} is known) open-loop at 70% of it.
     */
    private void pipeline(EmbeddedKafka kafka, String name, String label, String knobs, int n, double raw)
            throws Exception {
        pipeline(kafka, name, label, knobs, n, raw, modelsDir, corpus);
    }

    /**
     * The GPU stand-in (models.stand-in: gpu): the H100 curve's time per batch, no model, on short real texts (up to
     * 25 words), with a GPU's batching (a model.yaml of max_batch_size 512 and 16384 tokens, in a copy of the
     * repository): does the pipeline keep a GPU busy, and how many cores would a GPU need?
     */
    private void gpu(EmbeddedKafka kafka, List<String> all) throws Exception {
        Path repo = Files.createTempDirectory("si-bench-gpu-models");
        Path model = repo.resolve(this.model);
        Files.createDirectories(model);
        Path source = modelsDir.resolve(this.model);
        Files.writeString(model.resolve("model.yaml"), Files.readString(source.resolve("model.yaml"))
                .replaceAll("(?m)^max_batch_tokens: .*\n", "")
                .replaceAll("(?m)^max_batch_size: .*$", "max_batch_size: 512\nmax_batch_tokens: 16384"));
        try (var versions = Files.list(source)) {
            for (Path v : (Iterable<Path>) versions::iterator) {
                if (Files.isDirectory(v)) {
                    Files.createSymbolicLink(model.resolve(v.getFileName()), v);
                }
            }
        }
        List<String> shortTexts = all.stream().filter(t -> t.split(" ").length <= 25).toList();
        pipeline(kafka, "gpu", "GPU stand-in, short texts", "max-delay-ms: 2", gpuRequests, Double.NaN, repo,
                shortTexts);
        Row r = rows.get(rows.size() - 1);
        double busy = lastGpuBusyNanos / 1e9 / r.seconds(); // the burst's, not the warm-up's
        double cpuPerRequest = lastCpuMicrosPerRequest;
        // What one GPU can take of these texts: the curve at 512 rows of their typical padded length.
        double gpuMax = 512 / (io.streaminfer.flink.inference.GpuStandInReplica.batchMillis(512, 32) / 1e3);
        gpuReport.add(String.format("GPU stand-in: %.0f requests/s; the \"GPU\" busy %.0f%% of the time; %.1f µs "
                + "of CPU per request, everything included (broker, Flink, tokenizing, clients); one H100 takes up "
                + "to %.0f such requests/s (512 rows of 32 tokens in %.2f ms), so feeding it needs %.1f cores of "
                + "this pipeline", r.rate(), 100 * busy, cpuPerRequest, gpuMax,
                io.streaminfer.flink.inference.GpuStandInReplica.batchMillis(512, 32), cpuPerRequest * gpuMax / 1e6));
        if (variants.contains("kafka") || variants.contains("flink")) {
            floors(kafka, "gpu", "GPU stand-in", gpuRequests, shortTexts, repo);
        }
    }

    /**
     * Large requests: texts of 100 KB to 3.9 MB (log-uniform; consecutive corpus texts), one per request, under the
     * job's 4 MiB limit. Reports the rate, this JVM's peak heap and resident memory during the phase (it hosts the
     * job, as a task manager would, and the broker and clients too), and where the time went: preparing (parsing
     * and tokenizing) vs the model.
     */
    private void large(EmbeddedKafka kafka, List<String> all) throws Exception {
        java.util.Random random = new java.util.Random(7);
        List<String> texts = new ArrayList<>(largeRequests);
        StringBuilder sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < largeRequests; i++) {
            int size = (int) Math.exp(Math.log(100_000) + random.nextDouble() * (Math.log(3_900_000) - Math.log(100_000)));
            sb.setLength(0);
            while (sb.length() < size) {
                sb.append(all.get(next++ % all.size())).append(' ');
            }
            texts.add(sb.substring(0, size));
        }
        MemorySampler memory = new MemorySampler();
        memory.start();
        pipeline(kafka, "large", "large texts (100 KB-3.9 MB)", "", largeRequests, Double.NaN, modelsDir, texts);
        memory.stop();
        Row r = rows.get(rows.size() - 1);
        long prepareNanos = lastPrepareNanos;
        long mb = 1 << 20;
        largeReport.add(String.format("large texts: %.1f requests/s; peak heap %d MiB of %d, peak RSS %d MiB (this "
                + "JVM: job, broker and clients); per request %.1f ms preparing (parse + cut + tokenize) and %.1f ms "
                + "in the model", r.rate(), memory.peakHeap / mb, Runtime.getRuntime().maxMemory() / mb,
                memory.peakRss / mb, prepareNanos / 1e6 / largeRequests, lastModelNanos / 1e6 / largeRequests));
    }

    /** Samples this JVM's heap and resident memory every 50 ms. */
    private static final class MemorySampler {
        volatile long peakHeap;
        volatile long peakRss;
        private volatile boolean running = true;
        private final Thread thread = new Thread(() -> {
            java.lang.management.MemoryMXBean mx = java.lang.management.ManagementFactory.getMemoryMXBean();
            while (running) {
                peakHeap = Math.max(peakHeap, mx.getHeapMemoryUsage().getUsed());
                try {
                    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                        if (line.startsWith("VmRSS:")) {
                            peakRss = Math.max(peakRss, Long.parseLong(line.replaceAll("\\D", "")) * 1024);
                        }
                    }
                } catch (java.io.IOException e) {
                    // no /proc: no RSS figure
                }
                LockSupport.parkNanos(50_000_000L);
            }
        }, "bench-memory-sampler");

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(1_000);
        }
    }

    private void pipeline(EmbeddedKafka kafka, String name, String label, String knobs, int n, double raw,
            Path repository, List<String> texts) throws Exception {
        boolean noOp = name.equals("noop");
        boolean before = name.equals("rows");
        String prefix = "bench-" + name;
        String batching = "max-delay-ms: 5" + (maxBatchTokens != null ? ", max-batch-tokens: " + maxBatchTokens : "")
                + (knobs.isEmpty() ? "" : ", " + knobs);
        JobConfig config = topicsAndConfig(kafka, prefix, repository, (noOp ? ", stand-in: no-op"
                : name.startsWith("gpu") ? ", stand-in: gpu" : "") + (workers != null ? ", workers: " + workers : ""),
                "batching: {defaults: {" + batching + "}}\n"
                + (before ? "async: {capacity: 256, timeout-ms: 30000}\n" : ""));
        if (flinkSettings != null) {
            config.flink.putAll(flinkSettings);
        }
        Configuration conf = BenchJobs.miniCluster();
        BenchJobs.set(conf, "metrics.reporter.capture.factory.class", CapturingReporter.Factory.class.getName());
        CapturingReporter.clear();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        InferenceJob.configure(env, config);
        InferencePipeline.build(env, config);
        JobClient job = env.executeAsync(prefix);
        try (ResultWatcher watcher = new ResultWatcher(kafka.bootstrapServers(), config.topics.results);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(kafka))) {
            boolean pipelineBound = noOp || name.equals("gpu");
            int warmUp = name.equals("large") ? 5 : pipelineBound ? Math.max(WARM_UP, n / 5) : Math.min(WARM_UP, n);
            warmUp(producer, config, watcher, texts, warmUp, pipelineBound, label);

            Requests burst = new Requests('s', n, texts); // serialized before the clock starts
            long real0 = CapturingReporter.sum("realTokens");
            long padded0 = CapturingReporter.sum("paddedTokens");
            long model0 = CapturingReporter.sum("modelNanos");
            long prepare0 = CapturingReporter.sum("prepareNanos");
            long leftOut0 = CapturingReporter.sum("acceptedLeftOut");
            long busy0 = io.streaminfer.flink.inference.GpuStandInReplica.busyNanos();
            Burst b = burst(kafka, producer, config, watcher, burst);
            int got = b.got();
            CpuMeter.Usage cpu = b.cpu();
            long brokerNanos = b.brokerNanos();
            double[] rate = b.rate();
            double[] lat = b.latencies();
            int failures = (n - got) + watcher.errors('s');
            double padding = ratio(CapturingReporter.sum("realTokens") - real0,
                    CapturingReporter.sum("paddedTokens") - padded0);
            String note = (got < n ? (n - got) + " without a result; " : "")
                    + (watcher.errors('s') > 0 ? watcher.errors('s') + " error results (" + watcher.firstError('s')
                    + "); " : "") + "burst: latency includes queueing in Kafka";
            rows.add(new Row(label + ", burst", got, rate[1], rate[0], failures, padding, lat[0], lat[2], note));
            lastCpuMicrosPerRequest = (cpu.processNanos() + brokerNanos) / 1e3 / n;
            lastModelNanos = CapturingReporter.sum("modelNanos") - model0;
            lastPrepareNanos = CapturingReporter.sum("prepareNanos") - prepare0;
            lastGpuBusyNanos = io.streaminfer.flink.inference.GpuStandInReplica.busyNanos() - busy0;
            cpuReport.add(String.format("%s burst: %.1f µs CPU/text (broker + Flink + clients%s); %s; this JVM's "
                    + "CPU by thread:", label, lastCpuMicrosPerRequest, kafka.inOwnProcess()
                    ? String.format(", of which the broker's own process %.1f", brokerNanos / 1e3 / n)
                    : ", all in this JVM", cpu.summary()));
            cpu.top(8).forEach(line -> cpuReport.add("    " + line));
            cpuReport.add(withoutLoadClients(cpu, n, lastCpuMicrosPerRequest));
            long leftOut = CapturingReporter.sum("acceptedLeftOut") - leftOut0;
            if (leftOut > 0) {
                cpuReport.add(String.format("    ACCEPTED left out for %.0f%% of the requests (ended within "
                        + "statuses.accepted-delay-ms)", 100.0 * leftOut / n));
            }

            if (!Double.isNaN(raw)) {
                double offered = raw * LOAD_FRACTION;
                int m = (int) Math.max(20, offered * loadSeconds);
                Requests paced = new Requests('m', m, texts);
                long mReal0 = CapturingReporter.sum("realTokens");
                long mPadded0 = CapturingReporter.sum("paddedTokens");
                CpuMeter mMeter = new CpuMeter();
                long mBroker0 = kafka.brokerProcessCpuNanos();
                long[] mSent = paced.send(producer, config, watcher, offered);
                int mGot = watcher.await('m', Duration.ofSeconds(90));
                CpuMeter.Usage mCpu = mMeter.since();
                long mBroker = mBroker0 < 0 ? 0 : kafka.brokerProcessCpuNanos() - mBroker0;
                othersMax = Math.max(othersMax, mCpu.otherCores() - (double) mBroker / mCpu.wallNanos());
                double[] mLat = latencies(mSent, watcher.arrivals('m'));
                double secs = (mSent[m - 1] - mSent[0]) / 1e9;
                int mFailures = (m - mGot) + watcher.errors('m');
                rows.add(new Row(label + ", 70% load", mGot, secs, (m - 1) / secs, mFailures,
                        ratio(CapturingReporter.sum("realTokens") - mReal0,
                                CapturingReporter.sum("paddedTokens") - mPadded0),
                        mLat[0], mLat[2], String.format("open loop at %.0f texts/s offered; p99/p50 = %.1f",
                                offered, mLat[2] / mLat[0])));
            }
        } finally {
            BenchJobs.cancel(job);
        }
    }

    /**
     * The floors under a pipeline phase, as the variants ask: the same requests, and copies of the records the job
     * just wrote for them, through the same broker and client settings, without Flink (kafka, see {@link
     * KafkaAlone}), and through Flink without anything of ours, with no state and with one state per ID (flink, see
     * {@link FlinkAlone}). Each warmed up as the job was; each reports its rate and CPU per request beside the job's.
     */
    private void floors(EmbeddedKafka kafka, String name, String label, int n, List<String> texts, Path repository)
            throws Exception {
        double jobMicros = lastCpuMicrosPerRequest;
        String jobPrefix = "bench-" + name;
        KafkaAlone.Samples samples = KafkaAlone.Samples.read(kafka.bootstrapServers(), jobPrefix + ".results",
                jobPrefix + ".status");
        String copied = String.format("%d result and %d status records copied from the %s phase's",
                samples.results().size(), samples.accepted().size() + samples.finals().size(), label);
        if (variants.contains("kafka")) {
            floor(kafka, "bench-kafka-" + name, "Kafka alone (" + name + "'s records)", "broker + clients",
                    "no Flink: a consumer and two producers per partition, " + copied, jobMicros, n, texts,
                    repository, config -> new KafkaAlone(config, samples, REQUEST_PARTITIONS));
        }
        if (variants.contains("flink")) {
            for (boolean oneState : new boolean[] {false, true}) {
                String kind = oneState ? "state" : "stateless";
                floor(kafka, "bench-flink-" + kind + "-" + name, "Kafka + Flink, " + (oneState ? "one state per ID"
                        : "no state") + " (" + name + "'s records)", "broker + Flink + clients", "the job's source, "
                        + "shuffle, sinks and settings, nothing of ours" + (oneState ? ", one RocksDB read and write "
                        + "per request" : "") + "; " + copied, jobMicros, n, texts, repository,
                        config -> flinkAlone(config, samples, oneState));
            }
        }
    }

    /** Starts what carries a floor's traffic on the floor's topics; closing it stops it. */
    private interface Carrier {
        AutoCloseable start(JobConfig config) throws Exception;
    }

    private void floor(EmbeddedKafka kafka, String prefix, String floorLabel, String parts, String note,
            double jobMicros, int n, List<String> texts, Path repository, Carrier carrier) throws Exception {
        JobConfig config = topicsAndConfig(kafka, prefix, repository, "", "");
        try (AutoCloseable running = carrier.start(config);
                ResultWatcher watcher = new ResultWatcher(kafka.bootstrapServers(), config.topics.results);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(kafka))) {
            // Rounds of half a burst: a floor is so fast that shorter rounds end before the JIT shows.
            warmUp(producer, config, watcher, texts, Math.max(WARM_UP, n / 2), true, floorLabel);
            Burst b = burst(kafka, producer, config, watcher, new Requests('s', n, texts));
            CpuMeter.Usage cpu = b.cpu();
            long brokerNanos = b.brokerNanos();
            double micros = (cpu.processNanos() + brokerNanos) / 1e3 / n;
            rows.add(new Row(floorLabel + ", burst", b.got(), b.rate()[1], b.rate()[0], n - b.got(), Double.NaN,
                    b.latencies()[0], b.latencies()[2], note));
            cpuReport.add(String.format("%s burst: %.1f µs CPU/request (%s%s), against the job's %.1f: %.0f%% of "
                    + "the job's cost per request; %s; this JVM's CPU by thread:", floorLabel, micros, parts,
                    kafka.inOwnProcess()
                            ? String.format(", of which the broker's own process %.1f", brokerNanos / 1e3 / n)
                            : ", all in this JVM", jobMicros, 100 * micros / jobMicros, cpu.summary()));
            cpu.top(6).forEach(line -> cpuReport.add("    " + line));
            cpuReport.add(withoutLoadClients(cpu, n, micros));
        }
    }

    /** Runs {@link FlinkAlone} on a MiniCluster as the job runs; closing it cancels the job. */
    private AutoCloseable flinkAlone(JobConfig config, KafkaAlone.Samples samples, boolean oneState)
            throws Exception {
        if (flinkSettings != null) {
            config.flink.putAll(flinkSettings);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(BenchJobs.miniCluster());
        InferenceJob.configure(env, config);
        FlinkAlone.build(env, config, samples, oneState);
        JobClient job = env.executeAsync("flink-alone");
        return () -> BenchJobs.cancel(job);
    }

    /**
     * The benchmark's own load: the thread that sends the burst, its producer's network thread and the result
     * reader. They stand for the callers and the downstream consumers, which run elsewhere in production; the
     * broker's work for them stays in the figure.
     */
    private static final List<String> LOAD_CLIENTS = List.of("main",
            CpuMeter.group("kafka-producer-network-thread | bench-producer"), CpuMeter.group("bench-result-watcher"));

    private static String withoutLoadClients(CpuMeter.Usage cpu, int n, double micros) {
        double load = cpu.nanosOf(LOAD_CLIENTS) / 1e3 / n;
        return String.format("    without the benchmark's own sender and result reader (%.1f µs): %.1f µs CPU per "
                + "request", load, micros - load);
    }

    /** A measured burst: how many results came, where the CPU went, rate {per s, seconds}, latencies. */
    private record Burst(int got, CpuMeter.Usage cpu, long brokerNanos, double[] rate, double[] latencies) {}

    /** Sends a prepared burst as fast as the producer takes it and waits for its results, metering the CPU. */
    private Burst burst(EmbeddedKafka kafka, KafkaProducer<byte[], byte[]> producer, JobConfig config,
            ResultWatcher watcher, Requests burst) throws InterruptedException {
        CpuMeter meter = new CpuMeter();
        long broker0 = kafka.brokerProcessCpuNanos();
        long[] sent = burst.send(producer, config, watcher, 0);
        // A stall of 90 s: the rows-only variant's long batches of padded text take tens of seconds on 2 cores.
        int got = watcher.await(burst.phase, Duration.ofSeconds(90));
        CpuMeter.Usage cpu = meter.since();
        long brokerNanos = broker0 < 0 ? 0 : kafka.brokerProcessCpuNanos() - broker0;
        othersMax = Math.max(othersMax, cpu.otherCores() - (double) brokerNanos / cpu.wallNanos());
        long[] arrived = watcher.arrivals(burst.phase);
        return new Burst(got, cpu, brokerNanos, overallRate(sent, arrived, got), latencies(sent, arrived));
    }

    /**
     * Creates a phase's topics as the topic tool does (requests, results and dead letters take records up to 16
     * MiB) and returns its job config: {@code models} is added to the models section, {@code more} are further
     * lines. Applies the --kafka, --accepted-delay-ms, --result-ttl-minutes and --buffer-timeout-ms overrides.
     */
    private JobConfig topicsAndConfig(EmbeddedKafka kafka, String prefix, Path repository, String models,
            String more) {
        Map<String, String> payloads = Map.of("max.message.bytes",
                Integer.toString(io.streaminfer.contract.Topics.MAX_MESSAGE_BYTES));
        kafka.createTopic(prefix + ".requests", REQUEST_PARTITIONS, payloads);
        kafka.createTopic(prefix + ".results", 2, payloads);
        kafka.createTopic(prefix + ".status", 2, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(prefix + ".dlq", 1, payloads);
        JobConfig config = JobConfig.parse("job-name: " + prefix + "\n"
                + "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', group-id: " + prefix + "}\n"
                + "topics: {requests: " + prefix + ".requests, results: " + prefix + ".results, status: "
                + prefix + ".status, dead-letters: " + prefix + ".dlq}\n"
                + "models: {dir: '" + repository + "', serve: [" + model + "]" + models + "}\n"
                + more
                + "delivery: {guarantee: at-least-once}\n"
                + "checkpointing: {interval-ms: 2000, dir: 'file:///tmp/si-bench-checkpoints/" + prefix + "'}\n"
                + "state: {rocksdb-local-dir: /tmp/si-bench-rocks}\n");
        if (kafkaSettings != null) {
            config.kafka.properties.putAll(kafkaSettings);
        }
        if (acceptedDelayMs != null) {
            config.statuses.acceptedDelayMs = acceptedDelayMs;
        }
        if (resultTtlMinutes != null) {
            config.state.resultTtlMinutes = resultTtlMinutes;
        }
        if (bufferTimeoutMs != null) {
            config.execution.bufferTimeoutMs = bufferTimeoutMs;
        }
        if (tracingRatio != null) {
            config.tracing.enabled = true;
            config.tracing.samplerRatio = tracingRatio;
            config.tracing.endpoint = spanSink();
        }
        return config;
    }

    private synchronized String spanSink() {
        if (spanSink == null) {
            try {
                spanSink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            spanSink.createContext("/v1/traces", exchange -> {
                try (exchange) {
                    exchange.getRequestBody().readAllBytes();
                    exchange.sendResponseHeaders(200, -1);
                }
            });
            spanSink.start();
        }
        return "http://127.0.0.1:" + spanSink.getAddress().getPort();
    }

    /**
     * Warm-up rounds of {@code size} requests (phases A, B, ...: IDs of their own). A pipeline-bound phase is all
     * pipeline code (broker, clients, Flink and ours), which a fresh JVM compiles for minutes (the JIT took a quarter
     * of both cores through a burst after one warm-up round): it warms up until the JIT is quiet, as a long-running
     * task manager is; any other phase takes one round.
     */
    private void warmUp(KafkaProducer<byte[], byte[]> producer, JobConfig config, ResultWatcher watcher,
            List<String> texts, int size, boolean pipelineBound, String label) throws InterruptedException {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        int rounds = 0;
        double jitShare;
        long warmStart = System.nanoTime();
        do {
            long jit0 = jit.getTotalCompilationTime();
            long t0 = System.nanoTime();
            Requests warm = new Requests((char) ('A' + rounds), size, texts);
            warm.send(producer, config, watcher, 0); // the model loads and the first shapes run here
            watcher.await(warm.phase, Duration.ofMinutes(2));
            jitShare = (jit.getTotalCompilationTime() - jit0) * 1e6 / (System.nanoTime() - t0);
            rounds++;
        } while (pipelineBound && jitShare > JIT_QUIET && rounds < MAX_WARM_ROUNDS
                && System.nanoTime() - warmStart < MAX_WARM_NANOS);
        if (pipelineBound) {
            cpuReport.add(String.format("%s warm-up: %d round(s) of %d requests in %.0f s; the JIT's compile time "
                    + "in the last round %.0f%% of its wall time (quiet below %.0f%%)", label, rounds, size,
                    (System.nanoTime() - warmStart) / 1e9, 100 * jitShare, 100 * JIT_QUIET));
        }
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    private static Properties producerProps(EmbeddedKafka kafka) {
        Properties p = kafka.producerProps(); // acks=all, idempotent: what a careful producer uses
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-producer");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536"); // a burst fills batches by itself; linger stays 0
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(io.streaminfer.contract.Topics.MAX_MESSAGE_BYTES));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20));
        return p;
    }

    /** A phase's requests, keyed {@code <phase>-<index>} (what ResultWatcher parses), made before sending. */
    private final class Requests {
        final char phase;
        final byte[][] keys;
        final byte[][] bodies;

        Requests(char phase, int n, List<String> texts) {
            this.phase = phase;
            keys = new byte[n][];
            bodies = new byte[n][];
            for (int i = 0; i < n; i++) {
                String id = phase + "-" + i;
                keys[i] = id.getBytes(StandardCharsets.US_ASCII);
                bodies[i] = RealTexts.request(id, texts.get(i % texts.size()));
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
     * Texts per second from the first send to the last result, so the slow tail of long texts counts; returns
     * {rate, seconds}.
     */
    private static double[] overallRate(long[] sent, long[] arrived, int got) {
        long last = Arrays.stream(arrived).max().orElse(0);
        if (got < 10 || last == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double secs = (last - sent[0]) / 1e9;
        return new double[] {got / secs, secs};
    }

    private static double[] latencies(long[] sent, long[] arrived) {
        Stats s = BenchJobs.latencies(sent, arrived);
        return new double[] {s.percentileMs(50), s.percentileMs(95), s.percentileMs(99)};
    }

    private void print(double raw, double othersBefore, double runSeconds) throws Exception {
        System.out.println();
        System.out.printf("%-36s %7s %8s %9s %8s %8s %9s %9s  %s%n", "variant", "texts", "seconds", "texts/s",
                "failed", "padding", "p50 ms", "p99 ms", "note");
        for (Row r : rows) {
            System.out.printf("%-36s %7d %8.1f %9.1f %8d %8s %9.1f %9.1f  %s%n", r.variant(), r.texts(),
                    r.seconds(), r.rate(), r.failures(), Double.isNaN(r.padding()) ? "-"
                            : String.format("%.0f%%", 100 * r.padding()), r.p50(), r.p99(), r.note());
        }
        System.out.println("(burst: texts/s from the first send to the last result; padding = real tokens / padded "
                + "tokens the model computed; raw: latency of one batch; 70% load: open loop at the offered rate)");
        System.out.println();
        double pipeline = rate("cost-aware (default), burst");
        double before = rate("rows only (before), burst");
        System.out.printf("cost-aware burst / raw = %s   (target >= 0.85, with 0 failures: %d failed)%n",
                fmt(pipeline / raw), failures("cost-aware (default), burst"));
        rows.stream().filter(r -> r.variant().equals("cost-aware (default), 70% load")).findFirst().ifPresent(r ->
                System.out.printf("cost-aware at 70%% load: p99 / p50 = %.1f   (target <= 4)%n", r.p99() / r.p50()));
        System.out.printf("rows-only burst / raw  = %s   (for contrast: %d failed)%n", fmt(before / raw),
                failures("rows only (before), burst"));
        double noop = rate("no-op model, burst");
        if (!Double.isNaN(noop)) {
            System.out.printf("no-op pipeline         = %.0f requests/s%n", noop);
        }
        for (String phase : List.of("noop", "gpu")) {
            double alone = rate("Kafka alone (" + phase + "'s records), burst");
            if (!Double.isNaN(alone)) {
                System.out.printf("Kafka alone (%s)%s = %.0f requests/s: the job carries %.2f of it%n", phase,
                        " ".repeat(10 - phase.length()), alone,
                        rate(phase.equals("noop") ? "no-op model, burst" : "GPU stand-in, short texts, burst") / alone);
            }
        }
        gpuReport.forEach(System.out::println);
        largeReport.forEach(System.out::println);
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

    private int failures(String variant) {
        return rows.stream().filter(r -> r.variant().equals(variant)).mapToInt(Row::failures).findFirst()
                .orElse(0);
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format("%.2f", v);
    }
}
