package io.streaminfer.e2e;

import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.job.bench.Stats;
import io.streaminfer.job.bench.SyntheticText;
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
 * read by a consumer. One request at a time, a pause between them. Prints medians; asserts nothing.
 * {@code deploy/bin/bench-latency [requests] [pause-ms] [buffer-timeout-ms] [jvm|process]} (the last: the broker
 * in this JVM, the default, or in a JVM of its own as in production).
 */
public final class LatencyBreakdown {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int pause = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        long bufferTimeout = args.length > 2 ? Long.parseLong(args[2]) : -1;
        boolean ownProcess = args.length > 3 && args[3].equals("process");
        SyntheticText text = new SyntheticText(7);
        try (EmbeddedKafka kafka = ownProcess ? EmbeddedKafka.startInOwnProcess(Map.of()) : EmbeddedKafka.start();
                BridgeStack stack = new BridgeStack(kafka, "lat").startJob(c -> {
                    if (bufferTimeout >= 0) {
                        c.execution.bufferTimeoutMs = bufferTimeout;
                    }
                })) {
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
        }
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
