package io.streaminfer.e2e;

import io.streaminfer.bridge.Bridge;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.job.bench.Stats;
import io.streaminfer.job.testing.SyntheticText;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Where one request's time goes through the pipeline at low load, from the records' own timestamps: produce →
 * parsed by the job (status accepted_at) → final (status updated_at) → result record written (its timestamp) →
 * read by a consumer. One request at a time, a pause between them, after a warm-up at full speed ({@link #WARM_UP});
 * first Kafka alone (its floor), last the same through the real bridge (HTTP sync calls, the model's time from its
 * {@code Server-Timing} header). Prints medians; asserts nothing.
 * {@code deploy/bin/bench-latency [requests] [pause-ms] [buffer-timeout-ms] [jvm|process]} (the last: the broker
 * in this JVM, the default, or in a JVM of its own as in production).
 */
public final class LatencyBreakdown {
    /**
     * Records sent as fast as they go before any phase is measured. A broker fresh from its start is not warm after
     * 50 paced records: a plain produce-and-read hop measured here fell from ~5 ms to ~2.3 ms over its first 2,000
     * (the JIT), and production brokers are warm.
     */
    static final int WARM_UP = 2_000;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int pause = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        long bufferTimeout = args.length > 2 ? Long.parseLong(args[2]) : -1;
        boolean ownProcess = args.length > 3 && args[3].equals("process");
        SyntheticText text = new SyntheticText(7);
        try (EmbeddedKafka kafka = ownProcess ? EmbeddedKafka.startInOwnProcess(Map.of()) : EmbeddedKafka.start();
                BridgeStack stack = new BridgeStack(kafka, "lat").startJob(c -> {
                    // A deployment's checkpoints, not the tests' (every 500 ms): their pauses show in the p99.
                    c.checkpointing.intervalMs = new JobConfig.Checkpointing().intervalMs;
                    c.checkpointing.minPauseMs = new JobConfig.Checkpointing().minPauseMs;
                    if (bufferTimeout >= 0) {
                        c.execution.bufferTimeoutMs = bufferTimeout;
                    }
                })) {
            kafkaAlone(kafka, n, pause);
            Properties pp = kafka.producerProps();
            pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            Properties cp = kafka.consumerProps("lat-reader");
            cp.put("fetch.max.wait.ms", "5");
            try (KafkaProducer<byte[], byte[]> producer = kafka.producer(pp);
                    KafkaConsumer<byte[], byte[]> results = kafka.consumer(cp)) {
                List<TopicPartition> tps = new java.util.ArrayList<>();
                for (int p = 0; p < BridgeStack.RESULT_PARTITIONS; p++) {
                    tps.add(new TopicPartition("lat.results", p));
                }
                results.assign(tps);
                results.seekToEnd(tps);
                tps.forEach(results::position);
                warmUpJob(producer, results, text);
                long[] sent = new long[n];
                long[] resultTs = new long[n];
                long[] readAt = new long[n];
                long[] queueUs = new long[n];
                long[] modelUs = new long[n];
                for (int i = -50; i < n; i++) { // the first 50 warm up
                    String id = "r-" + (i + 50);
                    RecordHeaders h = new RecordHeaders();
                    h.add(KafkaContract.HEADER_MODEL, "all-minilm-l6-v2".getBytes(StandardCharsets.UTF_8));
                    long t0 = System.currentTimeMillis();
                    RecordMetadata meta = producer.send(new ProducerRecord<>("lat.requests", null, null,
                            id.getBytes(StandardCharsets.UTF_8),
                            Http.text(id, text.sentence(10)).getBytes(StandardCharsets.UTF_8), h)).get();
                    boolean got = false;
                    while (!got) {
                        for (ConsumerRecord<byte[], byte[]> r : results.poll(Duration.ofMillis(50))) {
                            if (id.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                                got = true;
                                if (i >= 0) {
                                    sent[i] = meta.timestamp();
                                    resultTs[i] = r.timestamp();
                                    readAt[i] = System.currentTimeMillis();
                                    queueUs[i] = micros(r, KafkaContract.HEADER_TIMING_QUEUE_US);
                                    modelUs[i] = micros(r, KafkaContract.HEADER_TIMING_COMPUTE_US);
                                }
                            }
                        }
                    }
                    if (i >= 0 && sent[i] - t0 > 100) {
                        System.out.println("slow send " + (sent[i] - t0));
                    }
                    Thread.sleep(pause);
                }
                Map<String, StatusRecord> finals = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : kafka.readAll("lat.status", Duration.ofSeconds(5))) {
                    StatusRecord s = StatusRecord.fromJson(r.value());
                    if (s.state().isFinal()) {
                        finals.put(s.id(), s);
                    }
                }
                long[] toAccepted = new long[n];
                long[] inJob = new long[n];
                long[] toResult = new long[n];
                long[] toRead = new long[n];
                long[] total = new long[n];
                long[] queue = new long[n];
                long[] model = new long[n];
                for (int i = 0; i < n; i++) {
                    StatusRecord s = finals.get("r-" + (i + 50));
                    toAccepted[i] = (s.acceptedAt() - sent[i]) * 1_000_000;
                    inJob[i] = (s.updatedAt() - s.acceptedAt()) * 1_000_000;
                    toResult[i] = (resultTs[i] - s.updatedAt()) * 1_000_000;
                    toRead[i] = (readAt[i] - resultTs[i]) * 1_000_000;
                    total[i] = (readAt[i] - sent[i]) * 1_000_000;
                    queue[i] = queueUs[i] * 1_000;
                    model[i] = modelUs[i] * 1_000;
                }
                System.out.printf("broker %s, buffer timeout %s%n", ownProcess ? "in a JVM of its own" : "in this JVM",
                        bufferTimeout >= 0 ? bufferTimeout + " ms" : "the job's default");
                System.out.printf("median ms: produce->parsed %.1f | parsed->final (admission, queue, model) %.1f, "
                        + "of which queue %.2f and model %.1f | final->result written %.1f | written->read %.1f | "
                        + "total %.1f (p99 %.1f); added to the model's time: %.1f (p99 of total - model: %.1f)%n",
                        new Stats(toAccepted, n).percentileMs(50), new Stats(inJob, n).percentileMs(50),
                        new Stats(queue, n).percentileMs(50), new Stats(model, n).percentileMs(50),
                        new Stats(toResult, n).percentileMs(50), new Stats(toRead, n).percentileMs(50),
                        new Stats(total, n).percentileMs(50), new Stats(total, n).percentileMs(99),
                        new Stats(minus(total, model), n).percentileMs(50),
                        new Stats(minus(total, model), n).percentileMs(99));
            }
            bridgePhase(stack, text, n, pause);
        }
    }

    /** {@link #WARM_UP} requests at once through the job, and their results read, before anything is measured. */
    private static void warmUpJob(KafkaProducer<byte[], byte[]> producer, KafkaConsumer<byte[], byte[]> results,
            SyntheticText text) {
        for (int i = 0; i < WARM_UP; i++) {
            String id = "w-" + i;
            RecordHeaders h = new RecordHeaders();
            h.add(KafkaContract.HEADER_MODEL, "all-minilm-l6-v2".getBytes(StandardCharsets.UTF_8));
            producer.send(new ProducerRecord<>("lat.requests", null, null, id.getBytes(StandardCharsets.UTF_8),
                    Http.text(id, text.sentence(10)).getBytes(StandardCharsets.UTF_8), h));
        }
        producer.flush();
        int seen = 0;
        long until = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (seen < WARM_UP) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("warm-up: " + seen + " of " + WARM_UP + " results in 5 min");
            }
            for (ConsumerRecord<byte[], byte[]> r : results.poll(Duration.ofMillis(200))) {
                if (new String(r.key(), StandardCharsets.UTF_8).startsWith("w-")) {
                    seen++;
                }
            }
        }
    }

    /**
     * The floor under the job's two Kafka hops: a plain producer and consumer at the same pace, no Flink: how long an
     * acknowledged send takes, and when the consumer sees the record.
     */
    private static void kafkaAlone(EmbeddedKafka kafka, int n, int pause) throws Exception {
        kafka.createTopic("lat.alone", 1);
        Properties cp = kafka.consumerProps(null);
        cp.put("fetch.max.wait.ms", "500"); // a fetch waits at the broker until a record arrives
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer(kafka.producerProps());
                KafkaConsumer<byte[], byte[]> consumer = kafka.consumer(cp)) {
            TopicPartition tp = new TopicPartition("lat.alone", 0);
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            long[] acked = new long[n];
            long[] seen = new long[n];
            for (int i = -WARM_UP; i < n; i++) { // the warm-up without a pause, then 50 paced ones
                if (i >= -50) {
                    Thread.sleep(pause);
                }
                long t0 = System.nanoTime();
                producer.send(new ProducerRecord<>("lat.alone", new byte[100])).get();
                long t1 = System.nanoTime();
                while (consumer.poll(Duration.ofMillis(1000)).isEmpty()) {
                    // until the one record comes
                }
                long t2 = System.nanoTime();
                if (i >= 0) {
                    acked[i] = t1 - t0;
                    seen[i] = t2 - t0;
                }
            }
            System.out.printf("Kafka alone (one record at a time, %d ms apart): median ms: send acknowledged %.2f, "
                    + "seen by a consumer %.2f (p99 %.2f)%n", pause, new Stats(acked, n).percentileMs(50),
                    new Stats(seen, n).percentileMs(50), new Stats(seen, n).percentileMs(99));
        }
    }

    /**
     * The same at low load through the real bridge, as a sync caller sees it: an HTTP call's time, less the model's
     * and the batcher's as the bridge's {@code Server-Timing} header gives them.
     */
    private static void bridgePhase(BridgeStack stack, SyntheticText text, int n, int pause) throws Exception {
        try (Bridge bridge = stack.startBridge(stack.bridgeYaml("lat-bridge", "callbacks:\n  enabled: false\n"))) {
            org.awaitility.Awaitility.await("the bridge ready").atMost(Duration.ofMinutes(2)).until(bridge::isReady);
            Http http = new Http(bridge.port(), null);
            for (int i = 0; i < WARM_UP / 4; i++) { // one call at a time, as fast as they go: the bridge's path warms
                Http.Answer a = http.post("/v2/models/all-minilm-l6-v2/infer", Http.text("bw-" + i, text.sentence(10)));
                if (a.status() != 200) {
                    throw new IllegalStateException("warm-up call answered " + a.status() + ": " + a.body());
                }
            }
            long[] total = new long[n];
            long[] model = new long[n];
            for (int i = -50; i < n; i++) { // the first 50 warm up
                String body = Http.text("b-" + (i + 50), text.sentence(10));
                long t0 = System.nanoTime();
                Http.Answer a = http.post("/v2/models/all-minilm-l6-v2/infer", body);
                long t1 = System.nanoTime();
                if (a.status() != 200) {
                    throw new IllegalStateException("sync call answered " + a.status() + ": " + a.body());
                }
                if (i >= 0) {
                    total[i] = t1 - t0;
                    model[i] = serverTimingNanos(a.raw().headers().firstValue("Server-Timing").orElse(""));
                }
                Thread.sleep(pause);
            }
            System.out.printf("through the bridge (HTTP sync calls, one at a time): median ms: total %.1f (p99 %.1f), "
                    + "model and queue %.1f; added to the model's time: %.1f (p99 %.1f)%n",
                    new Stats(total, n).percentileMs(50), new Stats(total, n).percentileMs(99),
                    new Stats(model, n).percentileMs(50), new Stats(minus(total, model), n).percentileMs(50),
                    new Stats(minus(total, model), n).percentileMs(99));
        }
    }

    private static final java.util.regex.Pattern DURATION = java.util.regex.Pattern.compile("dur=([0-9.]+)");

    /** The sum of a Server-Timing header's durations (ms), in ns. */
    static long serverTimingNanos(String header) {
        double ms = 0;
        for (java.util.regex.Matcher m = DURATION.matcher(header); m.find(); ) {
            ms += Double.parseDouble(m.group(1));
        }
        return (long) (ms * 1_000_000);
    }

    private static long micros(ConsumerRecord<byte[], byte[]> r, String header) {
        var h = r.headers().lastHeader(header);
        return h == null ? 0 : Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
    }

    private static long[] minus(long[] a, long[] b) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }
}
