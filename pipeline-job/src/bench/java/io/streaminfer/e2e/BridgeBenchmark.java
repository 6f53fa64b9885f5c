package io.streaminfer.e2e;

import io.streaminfer.bridge.Bridge;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.Tensor;
import io.streaminfer.job.bench.ResultWatcher;
import io.streaminfer.job.bench.Stats;
import io.streaminfer.job.testing.SyntheticText;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.RuntimeOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The bridge against its limits, in one run on one machine: (1) the raw model's single-request time; (2) at low load
 * (one caller, a pause between calls) the latency through the bridge and through Kafka alone, and what each adds to
 * the raw model; (3) the pipeline's own Kafka-only throughput (a burst produced straight to the requests topic);
 * (4) closed-loop callers over HTTP at 1, 16, 64 and 256 at a time. Broker, Flink, the model, the bridge and the load
 * generator share this JVM and its cores. Prints figures and ratios; asserts nothing. Run it with
 * {@code deploy/bin/bench-bridge}.
 */
@Command(name = "bench-bridge", mixinStandardHelpOptions = true,
        description = "Raw model vs the HTTP bridge (latency at low load, throughput at 1-256 callers) vs Kafka only.")
public final class BridgeBenchmark implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "all-minilm-l6-v2")
    String model;

    @Option(names = "--low-load-requests", defaultValue = "300")
    int lowLoadRequests;

    @Option(names = "--pause-ms", defaultValue = "20", description = "Pause between low-load calls.")
    int pauseMs;

    @Option(names = "--burst", defaultValue = "6000", description = "Requests of the Kafka-only throughput burst.")
    int burst;

    @Option(names = "--seconds", defaultValue = "15", description = "Measured seconds per concurrency level.")
    int seconds;

    @Option(names = "--warm-up-seconds", defaultValue = "30", description = "Closed-loop warm-up over HTTP (JIT, "
            + "the model's shapes, RocksDB's first compactions) before anything is measured.")
    int warmUpSeconds;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,16,64,256")
    List<Integer> concurrency;

    @Option(names = "--buffer-timeout-ms", description = "The job's execution.buffer-timeout-ms (default: the "
            + "job's default).")
    Long bufferTimeoutMs;

    @Option(names = "--cpu", description = "Print this JVM's CPU by thread group for each throughput phase.")
    boolean cpu;

    private final PrintStream out = System.out;
    private final SyntheticText text = new SyntheticText(42);

    public static void main(String[] args) {
        System.exit(new CommandLine(new BridgeBenchmark()).execute(args));
    }

    private String body(String id) {
        return Http.text(id, text.sentence(8 + (int) (Math.random() * 6)));
    }

    @Override
    public Integer call() throws Exception {
        out.printf("bench-bridge: model %s, %d cores, everything in one JVM%n", model,
                Runtime.getRuntime().availableProcessors());
        double rawP50 = rawSingle();
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                BridgeStack stack = new BridgeStack(kafka, "bench").startJob(c -> {
                    // The job's own checkpoint cadence, not the tests' fast one (each checkpoint flushes RocksDB).
                    io.streaminfer.job.config.JobConfig defaults = new io.streaminfer.job.config.JobConfig();
                    c.checkpointing.intervalMs = defaults.checkpointing.intervalMs;
                    c.checkpointing.minPauseMs = defaults.checkpointing.minPauseMs;
                    if (bufferTimeoutMs != null) {
                        c.execution.bufferTimeoutMs = bufferTimeoutMs;
                    }
                });
                Bridge bridge = stack.startBridge(stack.bridgeYaml("bench-bridge", "callbacks:\n  enabled: false\n"
                        + "http:\n  host: 127.0.0.1\n  port: 0\n  max-in-flight: 100000\n"));
                ResultWatcher watcher = new ResultWatcher(kafka.bootstrapServers(), "bench.results");
                KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
            long until = System.currentTimeMillis() + 120_000;
            while (!bridge.isReady() && System.currentTimeMillis() < until) {
                Thread.sleep(100); // start-up of job and bridge; readiness is polled, nothing else to wait on
            }
            if (!bridge.isReady()) {
                out.println("bridge not ready: " + bridge.notReadyReason());
                return 1;
            }
            Vertx vertx = Vertx.vertx();
            HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(512));
            try {
                String path = "/v2/models/" + model + "/infer";
                // Warm-up: JIT of bridge, Flink and Kafka paths, and the model's shapes.
                closedLoop(client, bridge.port(), path, 64, warmUpSeconds);

                out.println();
                out.println("== low load: one caller, " + pauseMs + " ms between calls ==");
                Stats viaBridge = lowLoadBridge(client, bridge.port(), path);
                Stats viaKafka = lowLoadKafka(producer, watcher);
                out.printf("raw model, one request:     p50 %6.1f ms%n", rawP50);
                row("Kafka only (no bridge)", viaKafka, rawP50);
                row("through the bridge", viaBridge, rawP50);
                out.printf("bridge's own share (bridge - Kafka only): p50 %.1f ms, p99 %.1f ms%n",
                        viaBridge.percentileMs(50) - viaKafka.percentileMs(50),
                        viaBridge.percentileMs(99) - viaKafka.percentileMs(99));

                out.println();
                out.println("== throughput ==");
                io.streaminfer.job.bench.CpuMeter meter = new io.streaminfer.job.bench.CpuMeter();
                double kafkaBefore = kafkaThroughput(producer, watcher, 'T');
                out.printf("Kafka only, burst of %d:   %8.0f req/s%n", burst, kafkaBefore);
                cpuReport(meter);
                List<Level> levels = new java.util.ArrayList<>();
                for (int c : concurrency) {
                    meter = new io.streaminfer.job.bench.CpuMeter();
                    Level l = closedLoop(client, bridge.port(), path, c, seconds);
                    out.printf("bridge, %3d callers:       %8.0f req/s  p50 %6.1f  p95 %6.1f  p99 %6.1f ms  "
                            + "errors %d%n", c, l.rate, l.stats.percentileMs(50), l.stats.percentileMs(95),
                            l.stats.percentileMs(99), l.errors);
                    cpuReport(meter);
                    levels.add(l);
                }
                // Again after the HTTP phases: state grows and RocksDB compacts as the run goes on.
                meter = new io.streaminfer.job.bench.CpuMeter();
                double kafkaAfter = kafkaThroughput(producer, watcher, 'U');
                out.printf("Kafka only, burst of %d:   %8.0f req/s (after the HTTP phases)%n", burst, kafkaAfter);
                cpuReport(meter);
                double kafkaRate = (kafkaBefore + kafkaAfter) / 2;
                out.println();
                out.printf("ratios to the Kafka-only throughput (mean of before and after, %.0f req/s):%n", kafkaRate);
                for (int i = 0; i < levels.size(); i++) {
                    out.printf("  %3d callers: %.2f%n", concurrency.get(i), levels.get(i).rate / kafkaRate);
                }
            } finally {
                client.close();
                vertx.close().toCompletionStage().toCompletableFuture().join();
            }
        }
        return 0;
    }

    private void cpuReport(io.streaminfer.job.bench.CpuMeter meter) {
        if (!cpu) {
            return;
        }
        io.streaminfer.job.bench.CpuMeter.Usage u = meter.since();
        out.println("    " + u.summary());
        u.top(8).forEach(line -> out.println("    " + line));
    }

    private void row(String name, Stats s, double rawP50) {
        out.printf("%-27s p50 %6.1f  p95 %6.1f  p99 %6.1f ms;  added to the raw model: p50 %.1f, p95 %.1f, "
                + "p99 %.1f ms%n", name + ":", s.percentileMs(50), s.percentileMs(95), s.percentileMs(99),
                s.percentileMs(50) - rawP50, s.percentileMs(95) - rawP50, s.percentileMs(99) - rawP50);
    }

    /** The limit: one request at a time straight into the runtime. */
    private double rawSingle() {
        try (ModelRuntime runtime = ModelRuntime.load(RuntimeOptions.builder()
                .modelsDir(Path.of(BridgeStack.modelsDir())).models(Set.of(model)).build())) {
            int n = 300;
            long[] t = new long[n];
            for (int i = -50; i < n; i++) {
                InferenceRequest r = new InferenceRequest("raw", List.of(Tensor.ofStrings("text",
                        text.sentence(8 + (int) (Math.random() * 6)))));
                long s = System.nanoTime();
                runtime.predict(model, null, r);
                if (i >= 0) {
                    t[i] = System.nanoTime() - s;
                }
            }
            return new Stats(t, n).percentileMs(50);
        }
    }

    private Stats lowLoadBridge(HttpClientAgent client, int port, String path) throws Exception {
        long[] t = new long[lowLoadRequests];
        for (int i = 0; i < lowLoadRequests; i++) {
            long s = System.nanoTime();
            int status = call(client, port, path, body("low-" + i)).toCompletionStage().toCompletableFuture()
                    .get();
            t[i] = System.nanoTime() - s;
            if (status != 200) {
                throw new IllegalStateException("low-load call answered " + status);
            }
            Thread.sleep(pauseMs); // the pause that makes it low load
        }
        return new Stats(t, lowLoadRequests);
    }

    private Stats lowLoadKafka(KafkaProducer<byte[], byte[]> producer, ResultWatcher watcher) throws Exception {
        watcher.expect('L', lowLoadRequests);
        long[] sent = new long[lowLoadRequests];
        for (int i = 0; i < lowLoadRequests; i++) {
            sent[i] = System.nanoTime();
            send(producer, "L-" + i);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (watcher.arrivals('L')[i] == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            Thread.sleep(pauseMs);
        }
        long[] t = new long[lowLoadRequests];
        for (int i = 0; i < lowLoadRequests; i++) {
            t[i] = watcher.arrivals('L')[i] - sent[i];
        }
        return new Stats(t, lowLoadRequests);
    }

    private double kafkaThroughput(KafkaProducer<byte[], byte[]> producer, ResultWatcher watcher, char phase)
            throws InterruptedException {
        watcher.expect(phase, burst);
        long start = System.nanoTime();
        for (int i = 0; i < burst; i++) {
            send(producer, phase + "-" + i);
        }
        producer.flush();
        int done = watcher.await(phase, Duration.ofSeconds(30));
        long last = 0;
        for (long a : watcher.arrivals(phase)) {
            last = Math.max(last, a);
        }
        return done / ((last - start) / 1e9);
    }

    private void send(KafkaProducer<byte[], byte[]> producer, String id) {
        RecordHeaders h = new RecordHeaders();
        h.add(KafkaContract.HEADER_MODEL, model.getBytes(StandardCharsets.UTF_8));
        producer.send(new ProducerRecord<>("bench.requests", null, null, id.getBytes(StandardCharsets.UTF_8),
                body(id).getBytes(StandardCharsets.UTF_8), h));
    }

    /** A throughput level's figures. */
    private record Level(double rate, Stats stats, int errors) {}

    /** {@code callers} callers, each sending its next request when the previous one is answered. */
    private Level closedLoop(HttpClientAgent client, int port, String path, int callers, int secs)
            throws InterruptedException {
        long end = System.nanoTime() + secs * 1_000_000_000L;
        long[] latencies = new long[2_000_000];
        AtomicInteger n = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicLong lastDone = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(callers);
        long start = System.nanoTime();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            next(client, port, path, caller, end, latencies, n, errors, lastDone, finished);
        }
        finished.await();
        int count = Math.min(n.get(), latencies.length);
        return new Level(count / ((lastDone.get() - start) / 1e9), new Stats(latencies, count), errors.get());
    }

    private void next(HttpClientAgent client, int port, String path, int caller, long end, long[] latencies,
            AtomicInteger n, AtomicInteger errors, AtomicLong lastDone, CountDownLatch finished) {
        if (System.nanoTime() >= end) {
            finished.countDown();
            return;
        }
        long s = System.nanoTime();
        call(client, port, path, body("c" + caller)).onComplete(ar -> {
            long now = System.nanoTime();
            if (ar.failed() || ar.result() != 200) {
                errors.incrementAndGet();
            } else {
                int i = n.getAndIncrement();
                if (i < latencies.length) {
                    latencies[i] = now - s;
                }
                lastDone.accumulateAndGet(now, Math::max);
            }
            next(client, port, path, caller, end, latencies, n, errors, lastDone, finished);
        });
    }

    private io.vertx.core.Future<Integer> call(HttpClientAgent client, int port, String path, String body) {
        return client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                        .setURI(path).putHeader("Content-Type", "application/json"))
                .compose(req -> req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }
}
