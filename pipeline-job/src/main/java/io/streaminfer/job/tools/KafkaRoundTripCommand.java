package io.streaminfer.job.tools;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.Topics;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deploy/local/smoke}: sends one text request to the requests topic, the way any producer does (key = request
 * ID, header {@code model}), and waits for its result on the results topic and its final status on the status topic.
 * Proves that a running pipeline job answers, without the HTTP bridge.
 *
 * <p>Prints the result value (OIP response or error JSON) on stdout and a summary on stderr. Exit codes: 0 a
 * response arrived; 3 an error result arrived; 1 nothing arrived in time (or Kafka failed); 2 bad command line.
 */
@Command(name = "smoke", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Send one text inference request through Kafka and wait for its result and final status.")
public final class KafkaRoundTripCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", paramLabel = "HOST:PORT[,...]",
            description = "The cluster (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2", description = "Model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--text", defaultValue = "A man is eating food.",
            description = "The sentence (default: ${DEFAULT-VALUE}).")
    String text;

    @Option(names = "--input", defaultValue = "text", description = "The name of the model's text input "
            + "(default: ${DEFAULT-VALUE}; the example graph sotu-qa's is question).")
    String input;

    @Option(names = "--id", description = "The request ID (default: smoke-<random>).")
    String id;

    @Option(names = "--requests-topic", defaultValue = Topics.REQUESTS, description = "Default: ${DEFAULT-VALUE}.")
    String requestsTopic;

    @Option(names = "--results-topic", defaultValue = Topics.RESULTS, description = "Default: ${DEFAULT-VALUE}.")
    String resultsTopic;

    @Option(names = "--status-topic", defaultValue = Topics.STATUS, description = "Default: ${DEFAULT-VALUE}.")
    String statusTopic;

    @Option(names = "--timeout-seconds", defaultValue = "60", paramLabel = "S",
            description = "How long to wait for the result (default: ${DEFAULT-VALUE}; the first request also "
                    + "waits for the job to load the model).")
    int timeoutSeconds;

    private final PrintStream out;
    private final PrintStream err;

    public KafkaRoundTripCommand() {
        this(System.out, System.err);
    }

    KafkaRoundTripCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new KafkaRoundTripCommand(out, err));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        String requestId = id != null ? id : "smoke-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] key = requestId.getBytes(StandardCharsets.UTF_8);
        byte[] body = OipJson.writeRequest(new InferenceRequest(requestId, List.of(Tensor.ofStrings(input, text))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);

        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
            // Read from the current end of both topics, fixed before the request leaves.
            List<TopicPartition> tps = new ArrayList<>();
            for (String topic : List.of(resultsTopic, statusTopic)) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(timeoutSeconds));
                if (infos == null || infos.isEmpty()) {
                    err.println("smoke: topic " + topic + " does not exist on " + bootstrapServers);
                    return 1;
                }
                infos.forEach(p -> tps.add(new TopicPartition(p.topic(), p.partition())));
            }
            consumer.assign(tps);
            consumer.seekToEnd(tps);
            tps.forEach(consumer::position);

            long t0 = System.nanoTime();
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(requestsTopic, key, body);
            record.headers().add(KafkaContract.HEADER_MODEL, model.getBytes(StandardCharsets.UTF_8));
            producer.send(record).get(timeoutSeconds, TimeUnit.SECONDS);
            err.printf("smoke: sent %s to %s (model %s), waiting for its result on %s%n", requestId, requestsTopic,
                    model, resultsTopic);

            byte[] result = null;
            String status = null;
            long resultMs = -1;
            while ((result == null || status == null) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !requestId.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                        continue;
                    }
                    if (r.topic().equals(resultsTopic) && result == null) {
                        result = r.value();
                        resultMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    } else if (r.topic().equals(statusTopic) && r.value() != null
                            && StatusRecord.fromJson(r.value()).state().isFinal()) {
                        status = new String(r.value(), StandardCharsets.UTF_8);
                    }
                }
            }
            if (result == null) {
                err.println("smoke: no result for " + requestId + " on " + resultsTopic + " within " + timeoutSeconds
                        + " s: is the job running and reading " + requestsTopic + "? (its log, and the Flink UI)");
                return 1;
            }
            out.println(new String(result, StandardCharsets.UTF_8));
            err.printf("smoke: result for %s after %d ms; final status: %s%n", requestId, resultMs,
                    status != null ? status : "(none seen within the timeout)");
            return OipJson.isError(result) ? 3 : 0;
        }
    }

    private Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "streaminfer-smoke");
        return p;
    }

    private Properties consumerProps() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "streaminfer-smoke");
        return p;
    }
}
