package io.streaminfer.job.bench;

import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.TokenRecord;
import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.InferencePipeline;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code deploy/bin/bench-generate}: {@link GenerateBenchmark}'s in-process phases, then phase 3, the whole job
 * through Kafka on a MiniCluster (parallelism 1: one engine, as in phase 2) with a broker in this JVM, on the same
 * workload, streamed: time to first token is from a request's send to its first token record read by a consumer
 * with Kafka's default settings, inter-token latency the gaps between its records. Saturated, then open loop at
 * 70 % and 10 % of the job's own saturation.
 */
public final class GenerateJobBenchmark {
    private GenerateJobBenchmark() {}

    public static void main(String[] args) throws Exception {
        GenerateBenchmark.Options o = GenerateBenchmark.Options.parse(args);
        if (o == null) {
            return;
        }
        GenerateBenchmark.InProcess in = GenerateBenchmark.runInProcess(o);
        List<String[]> lines = new ArrayList<>();
        GenerateBenchmark.Row saturated = null;
        GenerateBenchmark.Row seventy = null;
        GenerateBenchmark.Row low = null;
        double rps = 0;
        if (o.phases().contains("job")) {
            try (EmbeddedKafka kafka = BenchJobs.startBroker(false); JobPhase job = new JobPhase(kafka, o, in)) {
                job.run(in.items().subList(0, Math.min(16, in.items().size())), 0, "w"); // warm-up
                saturated = job.run(in.items(), 0, "s");
                rps = in.items().size() / saturated.seconds();
                seventy = job.run(in.items(), 0.7 * rps, "m");
                low = job.run(in.items(), 0.1 * rps, "l");
            }
        }
        System.out.println();
        GenerateBenchmark.printHeader();
        in.print();
        if (saturated != null) {
            GenerateBenchmark.print("3 job through Kafka, saturated", saturated, in.raw());
            GenerateBenchmark.print(String.format("  job, open loop at 70%% (%.1f req/s)", 0.7 * rps), seventy,
                    in.raw());
            GenerateBenchmark.print(String.format("  job, open loop at 10%% (%.1f req/s)", 0.1 * rps), low, in.raw());
        }
        System.out.println();
        System.out.printf("continuous / static (2)/(1): %.2fx tokens/s%n",
                in.saturated().tokensPerSecond() / in.raw().tokensPerSecond());
        if (saturated != null) {
            System.out.printf("job / engine (3)/(2): %.2fx tokens/s%n",
                    saturated.tokensPerSecond() / in.saturated().tokensPerSecond());
            System.out.printf("job at 70%%: ITL p99 / p50 = %.2f; engine at 70%%: %.2f%n",
                    seventy.itl().percentileMs(99) / seventy.itl().percentileMs(50),
                    in.seventy().itl().percentileMs(99) / in.seventy().itl().percentileMs(50));
            System.out.printf("job at 10%%: TTFT p50 %.1f ms; the prompts' own prefill p50 %.1f ms (+%.1f ms)%n",
                    low.ttft().percentileMs(50), in.prefill().ttft().percentileMs(50),
                    low.ttft().percentileMs(50) - in.prefill().ttft().percentileMs(50));
        }
    }

    /** The job on a MiniCluster, its token and result topics watched. */
    static final class JobPhase implements AutoCloseable {
        private final JobConfig config;
        private final JobClient job;
        private final KafkaProducer<byte[], byte[]> producer;
        private final Watcher tokens;
        private final Watcher results;
        private final String model;

        JobPhase(EmbeddedKafka kafka, GenerateBenchmark.Options o, GenerateBenchmark.InProcess in) throws Exception {
            String prefix = "bench-gen";
            this.model = in.model().name();
            kafka.createTopic(prefix + ".requests", 1);
            kafka.createTopic(prefix + ".results", 1);
            kafka.createTopic(prefix + ".status", 1, Map.of("cleanup.policy", "compact"));
            kafka.createTopic(prefix + ".dlq", 1);
            kafka.createTopic(prefix + ".tokens", 1);
            kafka.createTopic(prefix + ".control", 1);
            config = JobConfig.parse("job-name: " + prefix + "\n"
                    + "kafka: {bootstrap-servers: '" + kafka.bootstrapServers() + "', group-id: " + prefix + "}\n"
                    + "topics: {requests: " + prefix + ".requests, results: " + prefix + ".results, status: " + prefix
                    + ".status, dead-letters: " + prefix + ".dlq, tokens: " + prefix + ".tokens, control: " + prefix
                    + ".control}\n"
                    + "models: {dir: '" + o.modelsDir().toAbsolutePath() + "', serve: [" + model + "]}\n"
                    + "delivery: {guarantee: at-least-once}\n"
                    + "execution: {parallelism: 1}\n"
                    + "checkpointing: {interval-ms: 2000, dir: 'file:///tmp/si-bench-checkpoints/" + prefix + "'}\n"
                    + "state: {rocksdb-local-dir: /tmp/si-bench-rocks}\n");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(BenchJobs.miniCluster());
            InferenceJob.configure(env, config);
            InferencePipeline.build(env, config);
            job = env.executeAsync(prefix);
            Properties p = kafka.producerProps();
            p.put("linger.ms", "0");
            producer = new KafkaProducer<>(p);
            tokens = new Watcher(kafka.bootstrapServers(), config.topics.tokens);
            results = new Watcher(kafka.bootstrapServers(), config.topics.results);
        }

        /** Sends the items (all at once, or Poisson at {@code rate}/s) and waits for every result. */
        GenerateBenchmark.Row run(List<GenerationWorkload.Item> items, double rate, String tag) throws Exception {
            List<byte[]> bodies = new ArrayList<>();
            for (GenerationWorkload.Item item : items) {
                bodies.add(OipJson.writeRequest(new InferenceRequest(tag + item.id(), Map.of("max_tokens",
                        item.outputTokens(), "temperature", 0, "ignore_eos", true, "stream", true),
                        List.of(Tensor.ofStrings(GenerationOptions.TEXT_INPUT, item.text())), null)));
            }
            long[] sent = new long[items.size()];
            Random arrivals = new Random(7);
            long start = System.nanoTime();
            long next = start;
            for (int i = 0; i < items.size(); i++) {
                if (rate > 0) {
                    next += (long) (-Math.log(1 - arrivals.nextDouble()) / rate * 1e9);
                    LockSupport.parkNanos(next - System.nanoTime());
                }
                RecordHeaders h = new RecordHeaders();
                h.add(KafkaContract.HEADER_MODEL, model.getBytes(StandardCharsets.UTF_8));
                String id = tag + items.get(i).id();
                sent[i] = System.nanoTime();
                producer.send(new ProducerRecord<>(config.topics.requests, null, null,
                        id.getBytes(StandardCharsets.UTF_8), bodies.get(i), h));
            }
            producer.flush();
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            for (GenerationWorkload.Item item : items) {
                while (!results.has(tag + item.id())) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("no result for " + tag + item.id() + " in 30 minutes");
                    }
                    Thread.sleep(20);
                }
            }
            long end = 0;
            long tokens = 0;
            long[] ttft = new long[items.size()];
            List<Long> gaps = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                String id = tag + items.get(i).id();
                end = Math.max(end, results.arrivals(id).get(0));
                List<Long> at = this.tokens.arrivals(id);
                List<byte[]> values = this.tokens.values(id);
                ttft[i] = at.get(0) - sent[i];
                for (int k = 1; k < at.size(); k++) {
                    gaps.add(at.get(k) - at.get(k - 1));
                }
                for (byte[] v : values) {
                    tokens += TokenRecord.fromJson(v).tokens().length;
                }
            }
            long[] itl = gaps.stream().mapToLong(Long::longValue).toArray();
            return new GenerateBenchmark.Row(tokens, (end - start) / 1e9, new Stats(ttft, ttft.length),
                    new Stats(itl, itl.length));
        }

        @Override
        public void close() throws Exception {
            tokens.close();
            results.close();
            producer.close();
            BenchJobs.cancel(job);
        }
    }

    /** Arrival times (nanos) and values of a topic's records, by key, read with the default isolation. */
    static final class Watcher implements AutoCloseable {
        private final Map<String, List<Long>> arrivals = new ConcurrentHashMap<>();
        private final Map<String, List<byte[]>> values = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        Watcher(String bootstrap, String topic) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "5");
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end now, before anything is sent
            thread = new Thread(() -> {
                try (consumer) {
                    while (running) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                            long now = System.nanoTime();
                            String key = new String(r.key(), StandardCharsets.UTF_8);
                            arrivals.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(now);
                            values.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(r.value());
                        }
                    }
                }
            }, "watch-" + topic);
            thread.setDaemon(true);
            thread.start();
        }

        boolean has(String key) {
            return arrivals.containsKey(key);
        }

        List<Long> arrivals(String key) {
            return arrivals.getOrDefault(key, List.of());
        }

        List<byte[]> values(String key) {
            return values.getOrDefault(key, List.of());
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(2_000);
        }
    }
}
