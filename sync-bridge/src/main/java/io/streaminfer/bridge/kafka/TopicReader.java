package io.streaminfer.bridge.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka consumer polled by its own daemon thread: the bridge's readers (replies, job view, callbacks) differ only
 * in what they do with each poll. A failure stops the reader and is logged with what it means for callers;
 * {@link #isRunning()} then turns false, which readiness reports.
 */
public abstract class TopicReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicReader.class);

    protected final Consumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final String failureMeaning;
    private volatile boolean running = true;
    private volatile boolean started;
    private Map<TopicPartition, Long> startEnds = Map.of();

    /** @param failureMeaning what a stop means for callers, for the log */
    protected TopicReader(Consumer<byte[], byte[]> consumer, String threadName, String failureMeaning) {
        this.consumer = consumer;
        this.failureMeaning = failureMeaning;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    /** Starts polling; call once the consumer is assigned or subscribed. */
    protected final void startPolling() {
        started = true;
        thread.start();
    }

    /**
     * Assigns every partition of {@code topics} from the beginning, notes their ends now and starts polling: a view of
     * compacted topics, caught up ({@link #reachedStartEnds()}) once it has read what they held at start-up.
     *
     * @param topics each topic, in order, with what to do when it does not exist (for the error)
     */
    protected final void startFromBeginning(Map<String, String> topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        topics.forEach((topic, fix) -> {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic '" + topic + "' does not exist: " + fix);
            }
            for (PartitionInfo i : infos) {
                partitions.add(new TopicPartition(topic, i.partition()));
            }
        });
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        startEnds = Map.copyOf(consumer.endOffsets(partitions));
        startPolling();
    }

    /** Whether the consumer has read up to {@code ends} on each of their partitions; on the reader's thread. */
    protected final boolean reached(Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Whether everything on the topics of {@link #startFromBeginning} at start-up has been read. */
    protected final boolean reachedStartEnds() {
        return reached(startEnds);
    }

    /** Handles one poll's records (possibly none) on the reader's thread. */
    protected abstract void onRecords(ConsumerRecords<byte[], byte[]> records);

    /** Runs on the reader's thread before each poll: the place to change the assignment or seek. */
    protected void beforePoll() {
    }

    /** How long one poll waits for records; a reader whose assignment changes while it runs waits less. */
    protected Duration pollTimeout() {
        return Duration.ofMillis(500);
    }

    public boolean isRunning() {
        return started && running && thread.isAlive();
    }

    /** Makes a consumer call blocking in another thread's start-up step (metadata, offsets) return at once. */
    public void abortStart() {
        consumer.wakeup();
    }

    private void run() {
        try {
            while (running) {
                beforePoll();
                onRecords(consumer.poll(pollTimeout()));
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("{} stopped: {}", thread.getName(), failureMeaning, e);
            running = false;
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Stops polling and closes the consumer, waiting up to {@code waitMs} for the current poll's work. */
    protected void stop(long waitMs) {
        running = false;
        if (!started) {
            consumer.close(Duration.ZERO);
            return;
        }
        consumer.wakeup();
        try {
            thread.join(waitMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop(5_000);
    }
}
