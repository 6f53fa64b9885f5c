package io.streaminfer.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.job.bench.ResultWatcher;
import io.streaminfer.job.bench.Stats;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.job.tools.batch.BatchApiClient;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Online latency with and without a batch running, on one machine: one online caller (sync OIP calls of the corpus's
 * texts, a pause between calls) alone, then the same caller while an embeddings batch of the corpus runs through
 * the Batch API; then the batch's own rate, against the same texts produced straight to the requests topic (the
 * floor: the pipeline without the bridge). Broker, Flink, the model, the bridge and the callers share this JVM and
 * its cores. Prints p50/p99 and their ratios; asserts nothing. Run it with {@code deploy/bin/bench-batch}.
 */
@Command(name = "bench-batch", mixinStandardHelpOptions = true,
        description = "Online sync p50/p99 alone vs while a Batch API batch runs; the batch's lines/s.")
public final class BatchBenchmark implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "all-minilm-l6-v2")
    String model;

    @Option(names = "--lines", defaultValue = "20000", description = "Lines of the batch (the corpus's texts, "
            + "repeated).")
    int lines;

    @Option(names = "--online-calls", defaultValue = "300", description = "Online calls per phase.")
    int onlineCalls;

    @Option(names = "--pause-ms", defaultValue = "50", description = "Pause between online calls.")
    int pauseMs;

    @Option(names = "--online-priority", description = "The bridge's batches.online-priority (default: its "
            + "default; 0 puts online calls at the batch lines' level).")
    Integer onlinePriority;

    @Option(names = "--latency-tolerance", description = "The bridge's batches.latency-tolerance (default: its "
            + "default): how far above its lowest the batch lines' latency may go before the feed window shrinks.")
    Double latencyTolerance;

    private final PrintStream out = System.out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BatchBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> texts = RealTexts.load(Path.of("deploy", "models")); // the corpus is in the repository
        out.printf("bench-batch: model %s, %d cores, everything in one JVM; batch of %d lines, online: %d calls, "
                + "%d ms apart%n", model, Runtime.getRuntime().availableProcessors(), lines, onlineCalls, pauseMs);
        Path file = Files.createTempFile("bench-batch", ".jsonl");
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            ObjectNode line = OipJson.MAPPER.createObjectNode().put("custom_id", "l-" + i).put("method", "POST")
                    .put("url", "/v1/embeddings");
            line.putObject("body").put("model", model).put("input", texts.get(i % texts.size()));
            in.append(line).append('\n');
        }
        Files.writeString(file, in);
        String extra = "callbacks:\n  enabled: false\nbatches:\n"
                + (onlinePriority == null ? "" : "  online-priority: " + onlinePriority + "\n")
                + (latencyTolerance == null ? "" : "  latency-tolerance: " + latencyTolerance + "\n");
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                BridgeStack stack = new BridgeStack(kafka, "bench-batch").startJob(c -> {
                    // The job's own checkpoint cadence, not the tests' fast one.
                    JobConfig defaults = new JobConfig();
                    c.checkpointing.intervalMs = defaults.checkpointing.intervalMs;
                    c.checkpointing.minPauseMs = defaults.checkpointing.minPauseMs;
                    c.models.serve = List.of(model);
                });
                Bridge bridge = stack.startBridge(stack.bridgeYaml("bench-batch", extra))) {
            long until = System.currentTimeMillis() + 120_000;
            while (!bridge.isReady() && System.currentTimeMillis() < until) {
                Thread.sleep(100); // start-up of job and bridge; readiness is polled, nothing else to wait on
            }
            if (!bridge.isReady()) {
                out.println("bridge not ready: " + bridge.notReadyReason());
                return 1;
            }
            Http http = new Http(bridge.port(), null);
            BatchApiClient api = new BatchApiClient(URI.create("http://127.0.0.1:" + bridge.port()), null);
            online(http, texts, onlineCalls); // warm-up: JIT, the model's shapes
            Stats alone = online(http, texts, onlineCalls);

            String id = api.create(api.upload(file).get("id").asText(), "/v1/embeddings", "24h", null).get("id")
                    .asText();
            while (!api.batch(id).get("status").asText().equals("in_progress")) {
                Thread.sleep(100); // validation reads the file
            }
            long batchStart = System.nanoTime();
            long doneAtStart = done(api.batch(id));
            Stats during = online(http, texts, onlineCalls);
            long doneDuring = done(api.batch(id)) - doneAtStart;
            double secondsDuring = (System.nanoTime() - batchStart) / 1e9;
            JsonNode b = api.batch(id);
            while (!Set.of("completed", "failed", "expired", "cancelled").contains(b.get("status").asText())) {
                Thread.sleep(200);
                b = api.batch(id);
            }
            double batchSeconds = (System.nanoTime() - batchStart) / 1e9;
            double direct = directKafka(kafka, texts);
            out.println();
            out.printf("online alone:          p50 %7.1f ms  p99 %7.1f ms  (%d calls)%n", alone.percentileMs(50),
                    alone.percentileMs(99), alone.count());
            out.printf("online during a batch: p50 %7.1f ms  p99 %7.1f ms  (%d calls)%n", during.percentileMs(50),
                    during.percentileMs(99), during.count());
            out.printf("ratio during/alone:    p50 %7.2f     p99 %7.2f%n",
                    during.percentileMs(50) / alone.percentileMs(50), during.percentileMs(99) / alone.percentileMs(99));
            out.printf("batch: %d lines %s (%d completed, %d failed) in %.1f s from in_progress: %.0f lines/s; "
                    + "%.0f lines/s while the online caller ran%n", lines, b.get("status").asText(),
                    b.get("request_counts").get("completed").asLong(), b.get("request_counts").get("failed").asLong(),
                    batchSeconds, lines / batchSeconds, doneDuring / secondsDuring);
            out.printf("the same texts produced to Kafka directly: %.0f requests/s; batch/direct %.2f%n", direct,
                    lines / batchSeconds / direct);
        } finally {
            Files.deleteIfExists(file);
        }
        return 0;
    }

    /** The texts of the batch as one burst of OIP requests on the requests topic; results/s until the last. */
    private double directKafka(EmbeddedKafka kafka, List<String> texts) throws InterruptedException {
        try (ResultWatcher watcher = new ResultWatcher(kafka.bootstrapServers(), "bench-batch.results");
                KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
            watcher.expect('K', lines);
            long start = System.nanoTime();
            for (int i = 0; i < lines; i++) {
                RecordHeaders h = new RecordHeaders();
                h.add(KafkaContract.HEADER_MODEL, model.getBytes(StandardCharsets.UTF_8));
                String id = "K-" + i;
                producer.send(new ProducerRecord<>("bench-batch.requests", null, null,
                        id.getBytes(StandardCharsets.UTF_8), RealTexts.request(id, texts.get(i % texts.size())), h));
            }
            producer.flush();
            int done = watcher.await('K', Duration.ofSeconds(60));
            long last = start;
            for (long a : watcher.arrivals('K')) {
                last = Math.max(last, a);
            }
            return done / ((last - start) / 1e9);
        }
    }

    /** One caller, {@code calls} sync calls with a pause between them; their latencies. */
    private Stats online(Http http, List<String> texts, int calls) throws InterruptedException {
        long[] nanos = new long[calls];
        int n = 0;
        for (int i = 0; i < calls; i++) {
            String body = Http.text("o-" + i, texts.get((i * 7919) % texts.size()));
            long t0 = System.nanoTime();
            Http.Answer a = http.post("/v2/models/" + model + "/infer", body);
            long t = System.nanoTime() - t0;
            if (a.status() == 200) {
                nanos[n++] = t;
            }
            Thread.sleep(pauseMs); // an online caller's think time: the load is the batch, not this caller
        }
        return new Stats(nanos, n);
    }

    private static long done(JsonNode batch) {
        JsonNode c = batch.get("request_counts");
        return c.get("completed").asLong() + c.get("failed").asLong();
    }
}
