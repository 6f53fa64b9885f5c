package io.streaminfer.bridge.kafka;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands streamed generations' token records to whoever follows them ({@link TokenFollows}): the replica's own reply
 * partitions of the token topic from their end (a sync stream names one, like its result), any other partition while
 * a follow needs it (an async job's records, from its accepted time). A consumer of its own, with Kafka's default
 * isolation (read_uncommitted): the job sends token records as their step ends, in transactions that only fence a
 * failed attempt's writer, so read_committed would see them up to a second late, and miss the records a fenced
 * writer had sent before a failover, which the re-run continues after (a gap). Results stay with the {@link
 * ReplyRouter} and its read_committed consumer.
 *
 * <pre>{@code
 * TokenRouter tokens = new TokenRouter(consumer, "inference.tokens", "bridge-0");
 * tokens.start(List.of(3), 8);   // the replica's reply partitions, the topic's partition count
 * TokenFollow f = tokens.follow(jobId, 3, -1, -1, listener);   // a sync stream's: before publishing
 * }</pre>
 */
public final class TokenRouter extends TopicReader {
    private static final Logger LOG = LoggerFactory.getLogger(TokenRouter.class);

    private final TokenFollows follows;
    private final String replicaId;
    private List<TopicPartition> fixed = List.of();

    public TokenRouter(Consumer<byte[], byte[]> consumer, String topic, String replicaId) {
        super(consumer, "token-router", "streamed generations get no text until the bridge restarts");
        this.follows = new TokenFollows(topic);
        this.replicaId = replicaId;
    }

    /**
     * Assigns the replica's own partitions at their end and starts reading. Safe to call again when it failed.
     *
     * @param replyPartitions the replica's reply partitions (those the token topic has are read)
     * @param partitions the token topic's partition count
     */
    public void start(List<Integer> replyPartitions, int partitions) {
        List<TopicPartition> own = follows.start(replyPartitions, partitions);
        consumer.assign(own);
        consumer.seekToEnd(own);
        for (TopicPartition tp : own) {
            consumer.position(tp); // resolve "end" now: a record produced after start-up is never skipped
        }
        this.fixed = List.copyOf(own);
        startPolling();
        LOG.info("Replica {} reads token records from {} partitions {}", replicaId, follows.topic(), own);
    }

    /** The token topic's partition count; 0 before start. */
    public int partitions() {
        return follows.partitions();
    }

    /**
     * Hands {@code listener} the token records of {@code jobId}, which the job writes to {@code partition}, from
     * {@code afterSeq + 1} on. {@code fromMs}: where on the topic they may start (epoch ms, with slack for clocks);
     * -1 for records not published yet (a sync stream on its own reply partition: call before publishing).
     */
    public TokenFollow follow(String jobId, int partition, long fromMs, int afterSeq, TokenFollow.Listener listener) {
        return follows.follow(jobId, partition, fromMs, afterSeq, listener);
    }

    /** Follows open now. */
    public long open() {
        return follows.open();
    }

    /** Token records handed to follows. */
    public long delivered() {
        return follows.delivered();
    }

    /** Token records a follow found missing before the one it got (expired by retention before it read them). */
    public long gaps() {
        return follows.gaps();
    }

    @Override
    protected void beforePoll() {
        follows.prepare(consumer, fixed);
    }

    @Override
    protected Duration pollTimeout() {
        // A follow waits for its partition until the next poll: keep that short.
        return Duration.ofMillis(100);
    }

    @Override
    protected void onRecords(ConsumerRecords<byte[], byte[]> records) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            follows.deliver(r);
        }
        follows.afterPoll(consumer);
    }

    @Override
    public void close() {
        stop(5_000);
        follows.clear();
    }
}
