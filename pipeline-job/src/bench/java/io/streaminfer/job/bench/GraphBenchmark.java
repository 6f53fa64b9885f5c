package io.streaminfer.job.bench;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.InferencePipeline;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.job.testing.SotuQa;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.RuntimeOptions;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
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
 * The example graph sotu-qa (MiniLM embedding → lookup among 300 texts → topic when the best match is weak) through
 * the job, against the same three models called in sequence by a client through the runtime: one question at a
 * time, and batched by hand ({@code --batch} questions per model call, on as many client threads as MiniLM has
 * workers). Real questions: texts of deploy/data of up to 300 characters. Broker, Flink and clients share this JVM
 * and machine, as the runtime clients do. Prints throughput and p50/p99 latency; asserts nothing. Run it with
 * {@code deploy/bin/bench-graph}.
 */
@Command(name = "bench-graph", mixinStandardHelpOptions = true,
        description = "The example graph through the job vs its models called in sequence by a client.")
public final class GraphBenchmark implements Callable<Integer> {
    @Option(names = "--questions", description = "Questions of the burst and the hand-batched run (default 2000).")
    Integer questions;

    @Option(names = "--batch", defaultValue = "32", description = "Questions per model call, batched by hand "
            + "(default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--one-at-a-time", description = "Questions run one at a time (default 200).")
    Integer single;

    @Option(names = "--load-seconds", description = "Seconds of the graph's open-loop phase at 70%% of the "
            + "hand-batched rate (default 15).")
    Double loadSeconds;

    @Option(names = "--quick", description = "Small counts: a smoke run.")
    boolean quick;

    private static final int WARM_UP = 200;
    private final List<Row> rows = new ArrayList<>();
    private Path modelsDir;
    private List<String> corpus;
    private double othersMax;

    private record Row(String variant, int questions, double seconds, double rate, int failures, double p50,
            double p99, String note) {}

    public static void main(String[] args) {
        System.exit(new CommandLine(new GraphBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        int n = questions != null ? questions : quick ? 400 : 2000;
        int one = single != null ? single : quick ? 50 : 200;
        double seconds = loadSeconds != null ? loadSeconds : quick ? 5 : 15;
        modelsDir = Path.of(System.getenv().getOrDefault("STREAMINFER_MODELS_DIR", "deploy/models"))
                .toAbsolutePath();
        List<String> texts = RealTexts.load(modelsDir).stream().filter(t -> t.length() <= 300).toList();
        corpus = new ArrayList<>();
        for (int i = 0; i < Math.max(n, WARM_UP); i++) {
            corpus.add(texts.get(i % texts.size()));
        }
        int threads = io.streaminfer.contract.model.ModelRepository.open(modelsDir).model(SotuQa.EMBED).config()
                .workers();
        CpuMeter idle = new CpuMeter();
        Thread.sleep(1000);
        double othersBefore = idle.since().otherCores();
        System.out.printf("machine: %d cores, load average %s; other processes used %.2f cores before start%n",
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim(),
                othersBefore);
        System.out.printf("graph %s: embed (%s) -> lookup (%s) -> topic (%s) when best score < %.1f; %d questions "
                + "(texts of deploy/data up to 300 characters)%n", SotuQa.GRAPH, SotuQa.EMBED, SotuQa.LOOKUP,
                SotuQa.TOPICS, SotuQa.THRESHOLD, n);
        System.out.flush();

        double handBatched = byHand(n, one, threads);
        try (EmbeddedKafka kafka = BenchJobs.startBroker(false)) {
            graph(kafka, n, one, handBatched * 0.7, seconds);
        }
        print(othersBefore, (System.nanoTime() - started) / 1e9);
        return 0;
    }

    /** The client's way: one at a time, then {@code batch} per call on {@code threads} threads; returns its rate. */
    private double byHand(int n, int one, int threads) throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(modelsDir)
                .models(Set.of(SotuQa.EMBED, SotuQa.LOOKUP, SotuQa.TOPICS)).build())) {
            SotuQa.byHand(runtime, corpus.subList(0, WARM_UP), batch); // loads, and the first shapes run

            long[] times = new long[one];
            CpuMeter meter = new CpuMeter();
            for (int i = 0; i < one; i++) {
                long t0 = System.nanoTime();
                SotuQa.byHand(runtime, corpus.subList(i, i + 1), 1);
                times[i] = System.nanoTime() - t0;
            }
            CpuMeter.Usage cpu = meter.since();
            othersMax = Math.max(othersMax, cpu.otherCores());
            Stats s = new Stats(times, one);
            double secs = cpu.wallNanos() / 1e9;
            rows.add(new Row("models in sequence, one at a time", one, secs, one / secs, 0, s.percentileMs(50),
                    s.percentileMs(99), "one client thread; 2-3 model calls per question"));

            List<List<String>> chunks = new ArrayList<>();
            for (int from = 0; from < n; from += batch) {
                chunks.add(corpus.subList(from, Math.min(n, from + batch)));
            }
            long[] chunkTimes = new long[chunks.size()];
            AtomicInteger next = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            meter = new CpuMeter();
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(pool.submit(() -> {
                        for (int i = next.getAndIncrement(); i < chunks.size(); i = next.getAndIncrement()) {
                            long t0 = System.nanoTime();
                            SotuQa.byHand(runtime, chunks.get(i), batch);
                            chunkTimes[i] = System.nanoTime() - t0;
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            cpu = meter.since();
            othersMax = Math.max(othersMax, cpu.otherCores());
            secs = cpu.wallNanos() / 1e9;
            s = new Stats(chunkTimes, chunkTimes.length);
            double rate = n / secs;
            rows.add(new Row("models in sequence, batched by hand", n, secs, rate, 0, s.percentileMs(50),
                    s.percentileMs(99), batch + " questions per call, " + threads + " client threads; latency = "
                    + "one batch's three calls"));
            return rate;
        }
    }

    /** The job: warm-up, a burst, open loop at {@code offered}/s, then one at a time. */
    private void graph(EmbeddedKafka kafka, int n, int one, double offered, double seconds) throws Exception {
        String prefix = "bench-graph";
        kafka.createTopic(prefix + ".requests", 2);
        kafka.createTopic(prefix + ".results", 2);
        kafka.createTopic(prefix + ".status", 2, Map.of("cleanup.policy", "compact"));
        kafka.createTopic(prefix + ".dlq", 1);
        JobConfig config = JobConfig.parse("job-name: " + prefix + "\n"
                + "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', group-id: " + prefix + "}\n"
                + "topics: {requests: " + prefix + ".requests, results: " + prefix + ".results, status: "
                + prefix + ".status, dead-letters: " + prefix + ".dlq}\n"
                + "models: {dir: '" + modelsDir + "', serve: [" + SotuQa.GRAPH + "]}\n"
                + "delivery: {guarantee: at-least-once}\n"
                + "checkpointing: {interval-ms: 2000, dir: 'file:///tmp/si-bench-checkpoints/" + prefix + "'}\n"
                + "state: {rocksdb-local-dir: /tmp/si-bench-rocks}\n");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(BenchJobs.miniCluster());
        InferenceJob.configure(env, config);
        InferencePipeline.build(env, config);
        JobClient job = env.executeAsync(prefix);
        try (ResultWatcher watcher = new ResultWatcher(kafka.bootstrapServers(), config.topics.results);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(kafka))) {
            Questions warm = new Questions('w', WARM_UP);
            warm.send(producer, config, watcher, 0);
            watcher.await('w', Duration.ofMinutes(2));

            Questions burst = new Questions('s', n);
            CpuMeter meter = new CpuMeter();
            long[] sent = burst.send(producer, config, watcher, 0);
            int got = watcher.await('s', Duration.ofSeconds(90));
            othersMax = Math.max(othersMax, meter.since().otherCores());
            long[] arrived = watcher.arrivals('s');
            long last = Arrays.stream(arrived).max().orElse(0);
            double secs = (last - sent[0]) / 1e9;
            double[] lat = p50p99(sent, arrived);
            rows.add(new Row("graph in the job, burst", got, secs, got / secs, (n - got) + watcher.errors('s'),
                    lat[0], lat[1], "first send to last result; latency includes queueing in Kafka"
                    + (watcher.errors('s') > 0 ? "; first error: " + watcher.firstError('s') : "")));

            int m = (int) Math.max(20, offered * seconds);
            Questions paced = new Questions('m', m);
            meter = new CpuMeter();
            long[] mSent = paced.send(producer, config, watcher, offered);
            int mGot = watcher.await('m', Duration.ofSeconds(90));
            othersMax = Math.max(othersMax, meter.since().otherCores());
            double[] mLat = p50p99(mSent, watcher.arrivals('m'));
            double mSecs = (mSent[m - 1] - mSent[0]) / 1e9;
            rows.add(new Row("graph in the job, 70% load", mGot, mSecs, (m - 1) / mSecs,
                    (m - mGot) + watcher.errors('m'), mLat[0], mLat[1],
                    String.format("open loop at %.0f questions/s (70%% of hand-batched)", offered)));

            Questions closed = new Questions('c', one);
            watcher.expect('c', one);
            long[] cSent = new long[one];
            meter = new CpuMeter();
            for (int i = 0; i < one; i++) {
                cSent[i] = closed.sendOne(producer, config, i);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (watcher.arrivals('c')[i] == 0 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(200_000);
                }
            }
            CpuMeter.Usage cpu = meter.since();
            othersMax = Math.max(othersMax, cpu.otherCores());
            double[] cLat = p50p99(cSent, watcher.arrivals('c'));
            rows.add(new Row("graph in the job, one at a time", one, cpu.wallNanos() / 1e9,
                    one / (cpu.wallNanos() / 1e9), watcher.errors('c'), cLat[0], cLat[1],
                    "one in flight: Kafka -> 3 steps -> Kafka"));
        } finally {
            BenchJobs.cancel(job);
        }
    }

    private static double[] p50p99(long[] sent, long[] arrived) {
        Stats s = BenchJobs.latencies(sent, arrived);
        return new double[] {s.percentileMs(50), s.percentileMs(99)};
    }

    /** A phase's questions for the graph, keyed {@code <phase>-<index>} (what ResultWatcher parses). */
    private final class Questions {
        final char phase;
        final byte[][] keys;
        final byte[][] bodies;

        Questions(char phase, int n) {
            this.phase = phase;
            keys = new byte[n][];
            bodies = new byte[n][];
            for (int i = 0; i < n; i++) {
                String id = phase + "-" + i;
                keys[i] = id.getBytes(StandardCharsets.US_ASCII);
                bodies[i] = OipJson.writeRequest(new InferenceRequest(id, List.of(Tensor.ofStrings("question",
                        corpus.get(i % corpus.size())))));
            }
        }

        long[] send(KafkaProducer<byte[], byte[]> producer, JobConfig config, ResultWatcher watcher, double rate) {
            watcher.expect(phase, keys.length);
            long[] sent = new long[keys.length];
            long start = System.nanoTime();
            for (int i = 0; i < keys.length; i++) {
                if (rate > 0) {
                    long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                sent[i] = System.nanoTime();
                producer.send(record(config, i));
            }
            producer.flush();
            return sent;
        }

        long sendOne(KafkaProducer<byte[], byte[]> producer, JobConfig config, int i) {
            long t = System.nanoTime();
            producer.send(record(config, i));
            producer.flush();
            return t;
        }

        private ProducerRecord<byte[], byte[]> record(JobConfig config, int i) {
            RecordHeaders h = new RecordHeaders();
            h.add(KafkaContract.HEADER_MODEL, SotuQa.GRAPH.getBytes(StandardCharsets.UTF_8));
            return new ProducerRecord<>(config.topics.requests, null, null, keys[i], bodies[i], h);
        }
    }

    private static Properties producerProps(EmbeddedKafka kafka) {
        Properties p = kafka.producerProps();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-graph-producer");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
        return p;
    }

    private void print(double othersBefore, double runSeconds) throws Exception {
        System.out.println();
        System.out.printf("%-38s %9s %8s %12s %7s %9s %9s  %s%n", "variant", "questions", "seconds", "questions/s",
                "failed", "p50 ms", "p99 ms", "note");
        for (Row r : rows) {
            System.out.printf("%-38s %9d %8.1f %12.1f %7d %9.1f %9.1f  %s%n", r.variant(), r.questions(),
                    r.seconds(), r.rate(), r.failures(), r.p50(), r.p99(), r.note());
        }
        double hand = rate("models in sequence, batched by hand");
        double burst = rate("graph in the job, burst");
        System.out.printf("%ngraph burst / batched by hand = %.2f   (target >= 0.9)%n", burst / hand);
        System.out.printf("graph burst / one at a time   = %.1f%n", burst / rate("models in sequence, one at a time"));
        boolean noisy = Math.max(othersBefore, othersMax) > 0.2;
        System.out.printf("%nrun took %.0f s; load average now %s; %s%n", runSeconds,
                Files.readString(Path.of("/proc/loadavg")).trim(), noisy
                        ? "NOISY: other processes used > 0.2 cores during a measured phase: figures are low"
                        : "quiet: other processes used < 0.2 cores in every measured phase");
    }

    private double rate(String variant) {
        return rows.stream().filter(r -> r.variant().equals(variant)).mapToDouble(Row::rate).findFirst()
                .orElse(Double.NaN);
    }
}
