package io.streaminfer.bridge.batch;

import io.streaminfer.bridge.batch.feed.BatchFeeder;
import io.streaminfer.bridge.batch.feed.FeedSettings;
import io.streaminfer.bridge.batch.store.BatchLog;
import io.streaminfer.bridge.batch.store.FileStore;
import io.streaminfer.bridge.batch.store.MetaView;
import io.streaminfer.bridge.config.BridgeConfig;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.kafka.KafkaClients;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.contract.Topics;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * OpenAI's Batch API on one bridge replica (docs/batch.md): the file and batch routes, the view of files and batches
 * every replica keeps, the stores that write them to Kafka, and this replica's share of the feeding. Nothing of a
 * batch lives only here: files, batches, progress and output are on compacted topics, so any replica answers for
 * them and takes over the feeding of a replica that is gone.
 *
 * <pre>{@code
 * BatchService batches = new BatchService(config, repository, publisher, replies, metrics);
 * startup.step("reading files and batches", topics -> batches.start(), batches::abortStart);
 * batches.mountUpload(router);   // before the body handlers
 * batches.mount(router);
 * }</pre>
 */
public final class BatchService implements AutoCloseable {
    /** Records of a file chunk's size, and then some, pass the storage producer. */
    private static final int MAX_REQUEST_BYTES = Topics.MAX_MESSAGE_BYTES;

    private final KafkaProducer<byte[], byte[]> producer;
    private final MetaView view;
    private final FileStore files;
    private final BatchLog log;
    private final BatchFeeder feeder;
    private final FileRoutes fileRoutes;
    private final BatchRoutes batchRoutes;

    public BatchService(Vertx vertx, BridgeConfig c, ModelRepository repository, RequestPublisher publisher,
            ReplyRouter replies, BridgeMetrics metrics) {
        BridgeConfig.Batches b = c.batches;
        producer = KafkaClients.producer(c, "bridge-batches-" + c.replicaId, Map.of(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.LINGER_MS_CONFIG, 5));
        view = new MetaView(KafkaClients.assignedConsumer(c, "bridge-batch-view-" + c.replicaId),
                c.topics.files, c.topics.batches);
        AtomicInteger readers = new AtomicInteger();
        files = new FileStore(producer, () -> KafkaClients.assignedConsumer(c, "bridge-file-reader-" + c.replicaId
                + "-" + readers.incrementAndGet(), Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 4,
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, b.chunkBytes + (64 << 10),
                        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 2 * b.chunkBytes + (64 << 10))),
                c.topics.files, c.topics.fileChunks, b.chunkBytes, view);
        log = new BatchLog(producer, c.topics.batches, view);
        feeder = new BatchFeeder(KafkaClients.groupConsumer(c, "bridge-batch-feeder-" + c.replicaId, b.groupId),
                c.topics.batches, view, files, log, publisher, replies, repository, new RequestChecks(repository),
                new BatchFeeder.Window(b.minWindow, b.maxWindow, b.latencyTolerance),
                new FeedSettings(c.http.maxBodyBytes, b.maxFileLines, b.checkpointIntervalMs, b.resendAfterMs,
                        b.cancelGraceMs, 60_000));
        fileRoutes = new FileRoutes(vertx, view, files, b.maxFileBytes, b.maxFileLines);
        batchRoutes = new BatchRoutes(view, log, b.completionWindows);
        metrics.gauge("streaminfer_bridge_batches_running", "Batches this replica feeds now",
                feeder::batchesRunning);
        metrics.gauge("streaminfer_bridge_batch_lines_in_flight", "Requests of batch lines this replica has sent "
                + "and not had answered", feeder::linesInFlight);
        metrics.gauge("streaminfer_bridge_batch_window", "How many requests of batch lines this replica may have in "
                + "flight now (adapted to the lines' latency)", feeder::windowLimit);
    }

    /** The topics the batch API needs. */
    public static List<String> topics(BridgeConfig c) {
        return List.of(c.topics.files, c.topics.fileChunks, c.topics.batches);
    }

    /** Reads the files and batches and joins the feeders' group; a start-up step once Kafka answers. */
    public void start() {
        files.warmUp();
        log.warmUp();
        view.start();
        feeder.start();
    }

    public void abortStart() {
        view.abortStart();
        feeder.abortStart();
    }

    /** True once the view has read what was there at start-up and the feeder runs. */
    public boolean isRunning() {
        return view.isRunning() && view.isCaughtUp() && feeder.isRunning();
    }

    /** {@code POST /v1/files}: mount it before the body handlers (it streams the body to Kafka itself). */
    public void mountUpload(Router router) {
        fileRoutes.mountUpload(router);
    }

    public void mount(Router router) {
        fileRoutes.mount(router);
        batchRoutes.mount(router);
    }

    @Override
    public void close() {
        feeder.close();
        view.close();
        producer.close(Duration.ofSeconds(5));
    }
}
