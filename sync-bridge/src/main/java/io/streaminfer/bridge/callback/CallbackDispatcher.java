package io.streaminfer.bridge.callback;

import io.streaminfer.bridge.jobs.CallbackOutcome;
import io.streaminfer.bridge.kafka.KafkaClients;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import io.streaminfer.bridge.kafka.TopicReader;

/**
 * Sends each callback once per result, whichever replica is up: the replicas share the results topic in one
 * consumer group, each delivering the callbacks of its partitions, and commit a batch's offsets only after every
 * callback in it has ended (delivered, refused, or failed after its retries) and its outcome is on the callbacks
 * topic. A replica that dies mid-batch leaves the batch to the next owner: at-least-once, which is why the body
 * carries the job ID for receivers to deduplicate.
 *
 * <p>Callback body: {@code {"job_id", "state", "error_code"?, "sent_at", "result": <the OIP response or error>}},
 * signed with {@link Signatures}.
 */
public final class CallbackDispatcher extends TopicReader {

    private final Producer<byte[], byte[]> producer;
    private final String resultsTopic;
    private final String callbacksTopic;
    private final CallbackSender sender;
    private final BridgeMetrics metrics;

    public CallbackDispatcher(Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
            String resultsTopic, String callbacksTopic, CallbackSender sender, BridgeMetrics metrics) {
        super(consumer, "callback-dispatcher", "callbacks resume when this replica restarts or another one takes "
                + "its partitions");
        this.producer = producer;
        this.resultsTopic = resultsTopic;
        this.callbacksTopic = callbacksTopic;
        this.sender = sender;
        this.metrics = metrics;
    }

    public void start() {
        consumer.subscribe(List.of(resultsTopic));
        startPolling();
    }

    @Override
    protected void onRecords(ConsumerRecords<byte[], byte[]> records) {
        if (records.isEmpty()) {
            return;
        }
        List<CompletableFuture<?>> inBatch = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            String url = KafkaClients.header(r.headers(), KafkaContract.HEADER_CALLBACK_URL);
            if (url != null && r.key() != null) {
                inBatch.add(dispatch(new String(r.key(), StandardCharsets.UTF_8), url, r));
            }
        }
        // Deliveries run on the HTTP client's event loop; this thread waits for them, then commits.
        CompletableFuture.allOf(inBatch.toArray(new CompletableFuture[0])).join();
        if (!inBatch.isEmpty()) {
            producer.flush();
        }
        consumer.commitSync();
    }

    private CompletableFuture<Void> dispatch(String jobId, String url, ConsumerRecord<byte[], byte[]> r) {
        String code = KafkaClients.header(r.headers(), KafkaContract.HEADER_ERROR_CODE);
        // A binary-framed result (its request asked for binary outputs) is embedded as the JSON it stands for.
        byte[] body = body(jobId, code, io.streaminfer.bridge.kafka.Reply.of(r).jsonBody());
        return sender.deliver(jobId, url, body).thenAccept(outcome -> {
            metrics.callback(outcome.state);
            producer.send(new ProducerRecord<>(callbacksTopic, jobId.getBytes(StandardCharsets.UTF_8),
                    outcome.toJson()));
        });
    }

    /** The callback body; the result is embedded as the JSON it already is. */
    static byte[] body(String jobId, String errorCode, byte[] result) {
        String state = errorCode == null ? RequestState.SUCCEEDED.name()
                : "DEADLINE_EXCEEDED".equals(errorCode) ? RequestState.EXPIRED.name() : RequestState.FAILED.name();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(result.length + 160);
            StringBuilder head = new StringBuilder(160).append("{\"job_id\":")
                    .append(OipJson.MAPPER.writeValueAsString(jobId))
                    .append(",\"state\":\"").append(state).append('"');
            if (errorCode != null) {
                head.append(",\"error_code\":").append(OipJson.MAPPER.writeValueAsString(errorCode));
            }
            head.append(",\"sent_at\":").append(System.currentTimeMillis()).append(",\"result\":");
            out.write(head.toString().getBytes(StandardCharsets.UTF_8));
            if (result == null || result.length == 0) {
                out.write("null".getBytes(StandardCharsets.US_ASCII)); // a result record without a value
            } else {
                out.write(result);
            }
            out.write('}');
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop(10_000);
        sender.close();
    }
}
