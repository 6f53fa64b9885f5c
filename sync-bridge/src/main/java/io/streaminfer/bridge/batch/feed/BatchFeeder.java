package io.streaminfer.bridge.batch.feed;

import io.streaminfer.bridge.batch.store.BatchLog;
import io.streaminfer.bridge.batch.store.FileStore;
import io.streaminfer.bridge.batch.store.MetaView;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.contract.model.ModelRepository;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;

/**
 * This replica's part in feeding batches: its membership of the feeders' consumer group ({@link BatchOwnership}),
 * one {@link FeedWindow} for all the batches it feeds, and the threads that turn results into output lines (never the
 * reply router's, which sync callers wait on).
 *
 * <pre>{@code
 * BatchFeeder feeder = new BatchFeeder(groupConsumer, "inference.batches", view, files, log, publisher, router,
 *         repository, new RequestChecks(repository), window, settings);
 * feeder.start();   // once the view has started
 * }</pre>
 */
public final class BatchFeeder implements AutoCloseable {
    private final BatchOwnership ownership;
    private final FeedWindow window;
    private final ExecutorService answers;

    /** The window's bounds and tolerance (the bridge config's batches.min-window, max-window, latency-tolerance). */
    public record Window(int min, int max, double latencyTolerance) { }

    public BatchFeeder(Consumer<byte[], byte[]> groupConsumer, String batchesTopic, MetaView view, FileStore files,
            BatchLog log, RequestPublisher publisher, ReplyRouter router, ModelRepository repository,
            RequestChecks checks, Window window, FeedSettings settings) {
        this.window = new FeedWindow(window.min(), window.max(), window.latencyTolerance(), System::nanoTime);
        AtomicInteger n = new AtomicInteger();
        this.answers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "batch-answers-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.ownership = new BatchOwnership(groupConsumer, batchesTopic, view, new BatchRun.Parts(files, log,
                publisher, router, repository, checks, this.window, answers, settings));
    }

    public void start() {
        ownership.start();
    }

    public boolean isRunning() {
        return ownership.isRunning();
    }

    /** Makes a blocking start-up call of the group consumer return at once. */
    public void abortStart() {
        ownership.abortStart();
    }

    /** Batches this replica feeds now. */
    public int batchesRunning() {
        return ownership.running();
    }

    /** Requests of batch lines in flight from this replica, and the window's size now. */
    public int linesInFlight() {
        return window.inFlight();
    }

    public int windowLimit() {
        return window.limit();
    }

    @Override
    public void close() {
        ownership.close();
        answers.shutdownNow();
    }
}
