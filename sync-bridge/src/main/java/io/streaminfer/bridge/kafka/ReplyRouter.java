package io.streaminfer.bridge.kafka;

import io.streaminfer.contract.KafkaContract;
import java.nio.charset.StandardCharsets;
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
 * Streamed generations' token records have a reader of their own ({@link TokenRouter}).
 *
 * <pre>{@code
 * ReplyRouter router = new ReplyRouter(consumer, "inference.results", "bridge-0");
 * router.start(List.of(3));   // once the topic's partitions are known
 * CompletableFuture<Reply> reply = router.register(jobId);   // before publishing the request
 * }</pre>
 */
public final class ReplyRouter extends TopicReader {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyRouter.class);

    private final String topic;
    private final String replicaId;
    private volatile List<Integer> partitions = List.of();
    private final Map<String, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicLong unclaimed = new AtomicLong();

    public ReplyRouter(Consumer<byte[], byte[]> consumer, String topic, String replicaId) {
        super(consumer, "reply-router", "sync calls time out until the bridge restarts");
        this.topic = topic;
        this.replicaId = replicaId;
    }

    /**
     * Assigns the partitions at their end and starts reading. Safe to call again when it failed (the brokers did
     * not answer in time): nothing is read before it succeeds.
     */
    public void start(List<Integer> partitions) {
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("a reply router needs at least one partition");
        }
        List<TopicPartition> tps = new ArrayList<>();
        for (int p : partitions) {
            tps.add(new TopicPartition(topic, p));
        }
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        for (TopicPartition tp : tps) {
            consumer.position(tp); // resolve "end" now: a reply produced after start-up is never skipped
        }
        this.partitions = List.copyOf(partitions);
        startPolling();
        LOG.info("Replica {} reads its replies from {} partitions {}", replicaId, topic, partitions);
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
            route(r);
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
    }
}
