package io.streaminfer.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.TokenRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The routing of token records to follows (a consumer stand-in: the broker-backed paths are GenerationBridgeIT's):
 * each record once and in order to the follows of its request, a partition assigned from its follow's time and given
 * up after, a seek back for a follow that needs earlier records, and catch-up at the end as it was when asked.
 */
class TokenFollowsTest {
    private static final String TOPIC = "tokens";
    private static final TopicPartition RESULTS = new TopicPartition("results", 0);
    private static final TopicPartition OWN = new TopicPartition(TOPIC, 0);
    private static final TopicPartition OTHER = new TopicPartition(TOPIC, 3);

    /** MockConsumer with Kafka's time index: the first offset at or after a time, per partition. */
    static final class TimedConsumer extends MockConsumer<byte[], byte[]> {
        final Map<TopicPartition, NavigableMap<Long, Long>> index = new HashMap<>();

        TimedConsumer() {
            super("latest");
        }

        @Override
        public synchronized Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(
                Map<TopicPartition, Long> times) {
            Map<TopicPartition, OffsetAndTimestamp> out = new HashMap<>();
            times.forEach((tp, t) -> {
                Map.Entry<Long, Long> at = index.getOrDefault(tp, new TreeMap<>()).ceilingEntry(t);
                out.put(tp, at == null ? null : new OffsetAndTimestamp(at.getValue(), at.getKey()));
            });
            return out;
        }
    }

    private final TimedConsumer consumer = new TimedConsumer();
    private final TokenFollows follows = new TokenFollows(TOPIC);
    private List<TopicPartition> fixed;

    @BeforeEach
    void start() {
        fixed = new ArrayList<>(List.of(RESULTS));
        fixed.addAll(follows.start(List.of(0), 4));
        consumer.assign(fixed);
        consumer.updateEndOffsets(Map.of(RESULTS, 0L, OWN, 0L, OTHER, 20L));
        fixed.forEach(tp -> consumer.seek(tp, 0));
    }

    private static ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset, String id, int seq,
            String text) {
        TokenRecord t = TokenRecord.delta(id, seq, text, new int[] {seq});
        return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, id.getBytes(StandardCharsets.UTF_8),
                t.toJson());
    }

    private static List<Integer> seqs(List<TokenRecord> got) {
        return got.stream().map(TokenRecord::seq).toList();
    }

    @Test
    void aFollowOnItsOwnPartitionGetsEachOfItsRecordsOnceInOrder() {
        List<TokenRecord> got = new ArrayList<>();
        follows.follow("s0-a", 0, -1, -1, got::add);
        follows.deliver(record(OWN, 0, "s0-a", 0, "The"));
        follows.deliver(record(OWN, 1, "s0-b", 0, "Other"));
        follows.deliver(record(OWN, 2, "s0-a", 1, " nation"));
        follows.deliver(record(OWN, 2, "s0-a", 1, " nation")); // read again after a seek back
        follows.deliver(record(OWN, 3, "s0-a", 2, "."));
        assertThat(seqs(got)).containsExactly(0, 1, 2);
        assertThat(follows.delivered()).isEqualTo(3);
        assertThat(follows.gaps()).isZero();
    }

    @Test
    void aReconnectingFollowStartsAfterTheLastSequenceItsClientSaw() {
        List<TokenRecord> got = new ArrayList<>();
        follows.follow("s0-a", 0, -1, 1, got::add);
        for (int seq = 0; seq < 4; seq++) {
            follows.deliver(record(OWN, seq, "s0-a", seq, "t" + seq));
        }
        assertThat(seqs(got)).containsExactly(2, 3);
    }

    @Test
    void anotherPartitionIsReadFromItsFollowsTimeWhileAFollowNeedsItAndGivenUpAfter() {
        consumer.index.put(OTHER, new TreeMap<>(Map.of(1_000L, 5L, 2_000L, 9L)));
        List<TokenRecord> got = new ArrayList<>();
        TokenFollow f = follows.follow("j-x", 3, 1_500, -1, got::add);
        follows.deliver(record(OTHER, 9, "j-x", 1, "b"));
        assertThat(got).as("nothing before its partition is positioned").isEmpty();
        follows.prepare(consumer, fixed);
        assertThat(consumer.assignment()).contains(OTHER);
        assertThat(consumer.position(OTHER)).isEqualTo(9);
        follows.deliver(record(OTHER, 9, "j-x", 0, "a"));
        assertThat(seqs(got)).containsExactly(0);
        f.close();
        follows.prepare(consumer, fixed);
        assertThat(consumer.assignment()).containsExactlyInAnyOrderElementsOf(fixed);
        assertThat(follows.open()).isZero();
    }

    @Test
    void aFollowThatNeedsEarlierRecordsSeeksBackAndTheOtherDropsWhatItHad() {
        consumer.index.put(OTHER, new TreeMap<>(Map.of(1_000L, 3L, 2_000L, 8L)));
        List<TokenRecord> late = new ArrayList<>();
        follows.follow("j-late", 3, 2_000, -1, late::add);
        follows.prepare(consumer, fixed);
        follows.deliver(record(OTHER, 8, "j-late", 0, "x"));
        consumer.seek(OTHER, 9);
        List<TokenRecord> early = new ArrayList<>();
        follows.follow("j-early", 3, 1_000, -1, early::add);
        follows.prepare(consumer, fixed);
        assertThat(consumer.position(OTHER)).isEqualTo(3);
        follows.deliver(record(OTHER, 3, "j-early", 0, "y"));
        follows.deliver(record(OTHER, 8, "j-late", 0, "x"));
        follows.deliver(record(OTHER, 9, "j-late", 1, "z"));
        assertThat(seqs(early)).containsExactly(0);
        assertThat(seqs(late)).containsExactly(0, 1);
    }

    @Test
    void catchUpComesOnceThePartitionIsReadToWhereItEndedWhenAsked() {
        AtomicInteger caughtUp = new AtomicInteger();
        TokenFollow f = follows.follow("s0-a", 0, -1, -1, new TokenFollow.Listener() {
            @Override
            public void onToken(TokenRecord record) {
            }

            @Override
            public void onCaughtUp() {
                caughtUp.incrementAndGet();
            }
        });
        consumer.updateEndOffsets(Map.of(OWN, 10L));
        f.catchUp();
        follows.prepare(consumer, fixed);
        follows.afterPoll(consumer);
        assertThat(caughtUp).hasValue(0);
        consumer.updateEndOffsets(Map.of(OWN, 15L)); // what came after the ask is not waited for
        consumer.seek(OWN, 10);
        follows.afterPoll(consumer);
        follows.afterPoll(consumer);
        assertThat(caughtUp).hasValue(1);
    }
}
