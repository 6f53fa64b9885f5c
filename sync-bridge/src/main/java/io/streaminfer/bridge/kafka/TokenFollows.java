package io.streaminfer.bridge.kafka;

import io.streaminfer.contract.TokenRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token-topic side of the {@link ReplyRouter}'s consumer. The replica's own reply partitions of the token topic
 * are read from their end, like its results partitions: a sync stream's records land there. Any other partition is
 * assigned while a {@link TokenFollow} needs it, from the time that follow asks for (Kafka's time index), so any
 * replica can read any async job's records, also after a restart; a partition several follows share is read once,
 * from the earliest point any of them needs, and each follow drops what it has had.
 *
 * <p>Everything that touches the consumer runs on the router's thread ({@link #prepare}, {@link #deliver}, {@link
 * #afterPoll}); callers only queue.
 */
final class TokenFollows {
    private static final Logger LOG = LoggerFactory.getLogger(TokenFollows.class);
    /** A follow "from now" on a partition this replica does not read anyway starts this far back (clock skew). */
    static final long FROM_NOW_SLACK_MS = 60_000;

    private final String topic;
    private volatile int partitions;
    private volatile Set<Integer> own = Set.of();
    private final Map<String, List<TokenFollow>> byKey = new ConcurrentHashMap<>();
    private final Queue<TokenFollow> starting = new ConcurrentLinkedQueue<>();
    private final Queue<TokenFollow> stopping = new ConcurrentLinkedQueue<>();
    private final Queue<TokenFollow> catchUps = new ConcurrentLinkedQueue<>();
    private final AtomicLong open = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    // Router thread only:
    private final Map<Integer, Integer> inUse = new HashMap<>();
    private final Set<Integer> positioned = new HashSet<>();
    private final List<TokenFollow> waitingCatchUp = new ArrayList<>();

    TokenFollows(String topic) {
        this.topic = topic;
    }

    String topic() {
        return topic;
    }

    /** The own partitions to read from their end: the reply partitions the token topic has. */
    List<TopicPartition> start(List<Integer> replyPartitions, int tokenPartitions) {
        List<TopicPartition> tps = new ArrayList<>();
        Set<Integer> mine = new HashSet<>();
        for (int p : replyPartitions) {
            if (p < tokenPartitions) {
                mine.add(p);
                tps.add(new TopicPartition(topic, p));
            }
        }
        this.partitions = tokenPartitions;
        this.own = Set.copyOf(mine);
        return tps;
    }

    int partitions() {
        return partitions;
    }

    TokenFollow follow(String jobId, int partition, long fromMs, int afterSeq, TokenFollow.Listener listener) {
        if (partitions == 0) {
            throw new IllegalStateException("the token reader has not started: the bridge is not ready");
        }
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition " + partition + " of " + topic + " does not exist");
        }
        boolean fromNext = fromMs < 0 && own.contains(partition);
        long from = fromMs >= 0 ? fromMs : fromNext ? -1 : System.currentTimeMillis() - FROM_NOW_SLACK_MS;
        TokenFollow f = new TokenFollow(this, jobId, partition, from, afterSeq, listener);
        // What this replica reads next on its own partition needs no seek: live at once, before anything is published.
        f.started = fromNext;
        byKey.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(f);
        open.incrementAndGet();
        if (!fromNext) {
            starting.add(f);
        }
        return f;
    }

    void requestCatchUp(TokenFollow f) {
        catchUps.add(f);
    }

    void closed(TokenFollow f) {
        byKey.computeIfPresent(f.jobId, (k, list) -> {
            list.remove(f);
            return list.isEmpty() ? null : list;
        });
        open.decrementAndGet();
        stopping.add(f);
    }

    long open() {
        return open.get();
    }

    long delivered() {
        return delivered.get();
    }

    /** Records a follow saw with a sequence number beyond the next one: text it could not read (retention). */
    long gaps() {
        return gaps.get();
    }

    /** Router thread, before a poll: gives up partitions no follow needs, assigns and positions new ones. */
    void prepare(Consumer<byte[], byte[]> consumer, List<TopicPartition> fixed) {
        boolean changed = false;
        for (TokenFollow f; (f = stopping.poll()) != null; ) {
            if (f.started && f.fromMs >= 0 && !own.contains(f.partition)) {
                int left = inUse.merge(f.partition, -1, Integer::sum);
                if (left <= 0) {
                    inUse.remove(f.partition);
                    positioned.remove(f.partition);
                    changed = true;
                }
            }
        }
        Map<Integer, Long> earliest = new HashMap<>();
        List<TokenFollow> started = new ArrayList<>();
        for (TokenFollow f; (f = starting.poll()) != null; ) {
            if (f.isClosed()) {
                continue;
            }
            started.add(f);
            earliest.merge(f.partition, f.fromMs, Math::min);
            if (!own.contains(f.partition) && !inUse.containsKey(f.partition)) {
                inUse.put(f.partition, 0);
                changed = true;
            }
        }
        if (changed) {
            List<TopicPartition> all = new ArrayList<>(fixed);
            for (int p : inUse.keySet()) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all); // partitions kept keep their positions
        }
        if (!earliest.isEmpty()) {
            position(consumer, earliest);
            for (TokenFollow f : started) {
                f.started = true;
                if (!own.contains(f.partition)) {
                    inUse.merge(f.partition, 1, Integer::sum);
                }
            }
        }
        List<TokenFollow> notYet = new ArrayList<>();
        Map<TopicPartition, List<TokenFollow>> asked = new HashMap<>();
        for (TokenFollow f; (f = catchUps.poll()) != null; ) {
            if (f.isClosed()) {
                continue;
            }
            if (!f.started) {
                notYet.add(f);
                continue;
            }
            asked.computeIfAbsent(new TopicPartition(topic, f.partition), k -> new ArrayList<>()).add(f);
        }
        catchUps.addAll(notYet);
        if (!asked.isEmpty()) {
            // read_committed: the end is the last stable offset, so an open transaction's records are not waited for.
            Map<TopicPartition, Long> ends = consumer.endOffsets(asked.keySet());
            asked.forEach((tp, follows) -> follows.forEach(f -> {
                f.catchUpAt = ends.getOrDefault(tp, 0L);
                waitingCatchUp.add(f);
            }));
        }
    }

    /** Seeks each partition back to the earliest point a new follow needs (a fresh one straight there). */
    private void position(Consumer<byte[], byte[]> consumer, Map<Integer, Long> earliest) {
        Map<TopicPartition, Long> times = new HashMap<>();
        earliest.forEach((p, from) -> {
            if (from >= 0) {
                times.put(new TopicPartition(topic, p), from);
            }
        });
        if (times.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(times);
        Map<TopicPartition, Long> ends = consumer.endOffsets(times.keySet());
        for (TopicPartition tp : times.keySet()) {
            OffsetAndTimestamp at = found.get(tp);
            // Nothing at or after that time: what is still to come lands after the current end.
            long target = at != null ? at.offset() : ends.getOrDefault(tp, 0L);
            boolean fresh = !own.contains(tp.partition()) && positioned.add(tp.partition());
            if (fresh || consumer.position(tp) > target) {
                consumer.seek(tp, target);
            }
        }
    }

    /** Router thread: one token-topic record to the follows of its request. */
    void deliver(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        List<TokenFollow> follows = byKey.get(new String(r.key(), StandardCharsets.UTF_8));
        if (follows == null) {
            return;
        }
        TokenRecord t;
        try {
            t = TokenRecord.fromJson(r.value());
        } catch (IllegalArgumentException e) {
            LOG.warn("Skipping an unreadable token record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                    e.getMessage());
            return;
        }
        for (TokenFollow f : follows) {
            if (!f.started || f.isClosed() || t.seq() < f.nextSeq) {
                continue; // not positioned yet, or a record it has had
            }
            if (t.seq() > f.nextSeq) {
                gaps.incrementAndGet();
                LOG.warn("Token records {}..{} of {} were not readable (retention?); going on from {}", f.nextSeq,
                        t.seq() - 1, f.jobId, t.seq());
            }
            f.nextSeq = t.seq() + 1;
            delivered.incrementAndGet();
            try {
                f.listener.onToken(t);
            } catch (RuntimeException e) {
                LOG.warn("A token listener of {} failed", f.jobId, e);
            }
        }
    }

    /** Router thread, after a poll's records: follows whose partition has been read up to their catch-up point. */
    void afterPoll(Consumer<byte[], byte[]> consumer) {
        for (Iterator<TokenFollow> it = waitingCatchUp.iterator(); it.hasNext(); ) {
            TokenFollow f = it.next();
            if (f.isClosed()) {
                it.remove();
            } else if (consumer.position(new TopicPartition(topic, f.partition)) >= f.catchUpAt) {
                it.remove();
                try {
                    f.listener.onCaughtUp();
                } catch (RuntimeException e) {
                    LOG.warn("A token listener of {} failed", f.jobId, e);
                }
            }
        }
    }

    /** The router stopped: no follow hears any more. */
    void clear() {
        byKey.clear();
    }
}
