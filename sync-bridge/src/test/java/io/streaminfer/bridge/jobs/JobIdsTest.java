package io.streaminfer.bridge.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JobIdsTest {
    private static int kafkaPartition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    @Test
    void asyncFormat() {
        assertThat(JobIds.async()).matches("j-[0-9a-f]{32}");
    }

    @Test
    void syncFormat() {
        assertThat(JobIds.sync(0)).matches("s0-[0-9a-f]{32}");
        assertThat(JobIds.sync(7)).matches("s7-[0-9a-f]{32}");
        assertThat(JobIds.sync(12345)).matches("s12345-[0-9a-f]{32}");
    }

    /** The console shows only the start of these (whoever knows one reads the job); a producer's own ID whole. */
    @Test
    void onlyIdsTheBridgeMadeCountAsItsOwn() {
        assertThat(JobIds.madeByBridge(JobIds.async())).isTrue();
        assertThat(JobIds.madeByBridge(JobIds.sync(12))).isTrue();
        assertThat(JobIds.madeByBridge("probe-" + JobIds.sync(0))).isFalse();
        assertThat(JobIds.madeByBridge("order-4711")).isFalse();
        assertThat(JobIds.madeByBridge("j-" + "0".repeat(31))).isFalse();
        assertThat(JobIds.madeByBridge(null)).isFalse();
    }

    @Test
    void idsAreUniqueOver10k() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 5_000; i++) {
            seen.add(JobIds.async());
            seen.add(JobIds.sync(3));
        }
        assertThat(seen).hasSize(10_000);
    }

    @Test
    void syncIdNamesItsPartitionWhenInRange() {
        for (int p = 0; p < 12; p++) {
            String id = JobIds.sync(p);
            assertThat(JobIds.resultPartition(id, 12)).as(id).isEqualTo(p);
        }
        assertThat(JobIds.resultPartition(JobIds.sync(99), 100)).isEqualTo(99);
        assertThat(JobIds.resultPartition(JobIds.sync(0), 1)).isEqualTo(0);
    }

    @Test
    void syncIdWithPartitionOutOfRangeFallsBackToKafkaKeyPartitioning() {
        for (int i = 0; i < 200; i++) {
            String id = JobIds.sync(12);
            int p = JobIds.resultPartition(id, 12);
            assertThat(p).as(id).isEqualTo(kafkaPartition(id, 12)).isBetween(0, 11);
        }
        String id = JobIds.sync(99_999);
        assertThat(JobIds.resultPartition(id, 6)).isEqualTo(kafkaPartition(id, 6));
    }

    @Test
    void asyncIdUsesKafkaKeyPartitioning() {
        for (int i = 0; i < 200; i++) {
            String id = JobIds.async();
            for (int n : new int[] {1, 3, 12, 64}) {
                assertThat(JobIds.resultPartition(id, n)).as(id + " / " + n).isEqualTo(kafkaPartition(id, n));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"my-request", "s3", "s3-", "s3-notHex", "s3-0123456789abcdef0123456789ABCDEF",
            "s123456-0123456789abcdef0123456789abcdef", "probe-s1-0123456789abcdef0123456789abcdef", "ü-Ключ-🔑",
            "x"})
    void arbitraryKeysUseKafkaKeyPartitioning(String key) {
        for (int n : new int[] {1, 2, 5, 8, 100}) {
            assertThat(JobIds.resultPartition(key, n)).as(key + " / " + n).isEqualTo(kafkaPartition(key, n));
        }
    }

    @Test
    void plausible() {
        assertThat(JobIds.plausible(JobIds.async())).isTrue();
        assertThat(JobIds.plausible(JobIds.sync(4))).isTrue();
        assertThat(JobIds.plausible("any caller text ü")).isTrue();
        assertThat(JobIds.plausible("a".repeat(512))).isTrue();

        assertThat(JobIds.plausible(null)).isFalse();
        assertThat(JobIds.plausible("")).isFalse();
        assertThat(JobIds.plausible("a".repeat(513))).isFalse();
        assertThat(JobIds.plausible("j-1\n")).isFalse();
        assertThat(JobIds.plausible("j-\u00001")).isFalse();
        assertThat(JobIds.plausible("j-\t1")).isFalse();
        assertThat(JobIds.plausible("j-\u007f1")).isFalse();
        assertThat(JobIds.plausible("j-\u00851")).isFalse();
    }
}
