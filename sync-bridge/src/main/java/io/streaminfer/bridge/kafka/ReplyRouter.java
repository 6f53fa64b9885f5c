package io.streaminfer.bridge.kafka;

import io.streaminfer.contract.KafkaContract;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each sync caller the result that carries its job ID. The replica reads only its own reply partitions of the
 * results topic, assigned by hand (no consumer group, so no rebalance can take them away while callers wait), from
 * the end at start-up. Correlation is by the job ID, which the bridge made unique, never by the caller's {@code id}.
 * A result nobody waits for (the caller timed out, or it is another replica's sharing the partition) is dropped.
 *
 * <p>With a token topic (generative models served), the same consumer reads the same-numbered partitions of it
 * (read_committed, as the job writes them in transactions): a streamed sync generation's token records come there,
 * and {@link #follow} hands them to whoever waits. A follow may also ask for any other partition from a point in
 * time, which is how any replica reads an async generation's records (see {@link TokenFollows}).
 *
 * <pre>{@code
 * ReplyRouter router = new ReplyRouter(consumer, "inference.results", "inference.tokens", "bridge-0");
 * router.start(List.of(3), 8);   // once the topics' partitions are known
 * CompletableFuture<Reply> reply = router.register(jobId);   // before publishing the request
 * TokenFollow tokens = router.follow(jobId, 3, -1, -1, listener);   // a streamed one: also before publishing
 * }</pre>
 */
public final class ReplyRouter extends TopicReader {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyRouter.class);

    private final String topic;
    private final String replicaId;
    private final TokenFollows tokens;
    private volatile List<Integer> partitions = List.of();
    private List<TopicPartition> fixed = List.of();
    private final Map<String, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicLong unclaimed = new AtomicLong();

    public ReplyRouter(Consumer<byte[], byte[]> consumer, String topic, String replicaId) {
        this(consumer, topic, null, replicaId);
    }

    /** @param tokensTopic the token topic; null when no generative model is served */
    public ReplyRouter(Consumer<byte[], byte[]> consumer, String topic, String tokensTopic, String replicaId) {
        super(consumer, "reply-router", "sync calls time out until the bridge restarts");
        this.topic = topic;
        this.replicaId = replicaId;
        this.tokens = tokensTopic == null ? null : new TokenFollows(tokensTopic);
    }

    /** Without a token topic. */
    public void start(List<Integer> partitions) {
        start(partitions, 0);
    }

    /**
     * Assigns the partitions at their end and starts reading. Safe to call again when it failed (the brokers did
     * not answer in time): nothing is read before it succeeds.
     *
     * @param tokenPartitions the token topic's partition count (ignored without a token topic)
     */
    public void start(List<Integer> partitions, int tokenPartitions) {
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("a reply router needs at least one partition");
        }
        List<TopicPartition> tps = new ArrayList<>();
        for (int p : partitions) {
            tps.add(new TopicPartition(topic, p));
        }
        List<TopicPartition> all = new ArrayList<>(tps);
        if (tokens != null) {
            all.addAll(tokens.start(partitions, tokenPartitions));
        }
        consumer.assign(all);
        consumer.seekToEnd(all);
        for (TopicPartition tp : all) {
            consumer.position(tp); // resolve "end" now: a reply produced after start-up is never skipped
        }
        this.fixed = List.copyOf(all);
        this.partitions = List.copyOf(partitions);
        startPolling();
        LOG.info("Replica {} reads its replies from {} partitions {}{}", replicaId, topic, partitions,
                tokens == null ? "" : " and their token records from " + tokens.topic());
    }

    /** Whether this replica reads a token topic (a generative model is served). */
    public boolean streamsTokens() {
        return tokens != null;
    }

    /** The token topic's partition count; 0 before start or without one. */
    public int tokenPartitions() {
        return tokens == null ? 0 : tokens.partitions();
    }

    /**
     * Hands {@code listener} the token records of {@code jobId}, which the job writes to {@code partition} of the
     * token topic, from {@code afterSeq + 1} on. {@code fromMs}: where on the topic they may start (epoch ms, with
     * slack for clocks); -1 for records not published yet (a sync stream on its own reply partition: call before
     * publishing).
     */
    public TokenFollow follow(String jobId, int partition, long fromMs, int afterSeq, TokenFollow.Listener listener) {
        if (tokens == null) {
            throw new IllegalStateException("no token topic: this bridge serves no generative model");
        }
        return tokens.follow(jobId, partition, fromMs, afterSeq, listener);
    }

    /** Token follows open now. */
    public long tokenFollows() {
        return tokens == null ? 0 : tokens.open();
    }

    /** Token records handed to follows. */
    public long tokenRecordsDelivered() {
        return tokens == null ? 0 : tokens.delivered();
    }

    /** Token records a follow found missing before the one it got (expired by retention before it read them). */
    public long tokenGaps() {
        return tokens == null ? 0 : tokens.gaps();
    }

    @Override
    protected void beforePoll() {
        if (tokens != null) {
            tokens.prepare(consumer, fixed);
        }
    }

    @Override
    protected Duration pollTimeout() {
        // A follow waits for its partition until the next poll: keep that short.
        return tokens == null ? super.pollTimeout() : Duration.ofMillis(100);
    }

    /** The partition the next sync request should name: this replica's partitions in turn. */
    public int nextPartition() {
        List<Integer> p = partitions;
        if (p.isEmpty()) {
            throw new IllegalStateException("the reply router has not started: the bridge is not ready");
        }
        return p.get(Math.floorMod(next.getAndIncrement(), p.size()));
    }

    public String replicaId() {
        return replicaId;
    }

    /** Call before publishing, so a fast reply cannot arrive before anyone waits for it. */
    public CompletableFuture<Reply> register(String jobId) {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        pending.put(jobId, f);
        return f;
    }

    /** The caller has gone (timeout, disconnect, publish failure): its reply, if it comes, is dropped. */
    public void forget(String jobId) {
        pending.remove(jobId);
    }

    /** Replies read that no caller was waiting for. */
    public long unclaimed() {
        return unclaimed.get();
    }

    @Override
    protected void onRecords(ConsumerRecords<byte[], byte[]> records) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (tokens != null && r.topic().equals(tokens.topic())) {
                tokens.deliver(r);
            } else {
                route(r);
            }
        }
        if (tokens != null) {
            tokens.afterPoll(consumer);
        }
    }

    private void route(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null) {
            return;
        }
        String jobId = new String(r.key(), StandardCharsets.UTF_8);
        CompletableFuture<Reply> f = pending.remove(jobId);
        if (f == null) {
            unclaimed.incrementAndGet();
            if (LOG.isDebugEnabled()) {
                LOG.debug("Reply for {} (reply-to {}) has no waiting caller; dropped", jobId,
                        KafkaClients.header(r.headers(), KafkaContract.HEADER_REPLY_TO));
            }
            return;
        }
        f.complete(Reply.of(r));
    }

    @Override
    public void close() {
        stop(5_000);
        for (CompletableFuture<Reply> f : pending.values()) {
            f.completeExceptionally(new IllegalStateException("the bridge is shutting down"));
        }
        pending.clear();
        if (tokens != null) {
            tokens.clear();
        }
    }
}
