package io.streaminfer.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.batching.internal.LengthBuckets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BatchingConfigTest {

    @Test
    void defaults() {
        BatchingConfig c = BatchingConfig.builder().build();
        assertThat(c.maxBatchRows()).isEqualTo(32);
        assertThat(c.maxDelay()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.workers()).isEqualTo(1);
        assertThat(c.grouping()).isFalse();
        assertThat(c.maxBatchCost()).isZero();
        assertThat(c.queueBatches()).isEqualTo(4);
        assertThat(c.maxQueuedWork()).isEqualTo(4 * 32);
        assertThat(c.watchdogMin()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.maxStuckCalls()).isEqualTo(1);
        assertThat(c.name()).isEqualTo("batcher");
    }

    @Test
    void invalidSettingsAreRejectedNamingWhatToChange() {
        assertThatThrownBy(() -> BatchingConfig.builder().maxBatchRows(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBatchRows must be >= 1");
        assertThatThrownBy(() -> BatchingConfig.builder().maxDelay(Duration.ofMillis(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxDelay must be >= 0");
        assertThatThrownBy(() -> BatchingConfig.builder().maxDelay(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxDelay must be >= 0");
        assertThatThrownBy(() -> BatchingConfig.builder().workers(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("workers must be >= 1");
        assertThatThrownBy(() -> BatchingConfig.builder().name(" ").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name must not be blank");
    }

    @Test
    void theQueueBoundCountsFullBatchesPerWorkerInCostWhenCostIsBounded() {
        BatchingConfig c = BatchingConfig.builder().maxBatchRows(64).maxBatchCost(1024).workers(2).queueBatches(3)
                .build();
        assertThat(c.maxQueuedWork()).isEqualTo(3 * 2 * 1024);
        assertThat(BatchingConfig.builder().queueBatches(0).build().maxQueuedWork()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void everyProblemIsListedAtOnce() {
        assertThatThrownBy(() -> BatchingConfig.builder().maxBatchRows(0).maxBatchCost(-1).queueBatches(-1)
                .watchdogFactor(0.5).watchdogMin(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("maxBatchRows must be >= 1")
                .hasMessageContaining("maxBatchCost must be >= 0")
                .hasMessageContaining("queueBatches must be >= 0")
                .hasMessageContaining("watchdogFactor must be >= 1")
                .hasMessageContaining("watchdogMin must be >= 0");
    }

    @Test
    void lengthGroupsHoldCostsWithinAFactorOfTheSquareRootOfTwo() {
        assertThat(LengthBuckets.of(1)).isZero();
        assertThat(LengthBuckets.of(16)).isZero();
        assertThat(LengthBuckets.of(17)).isEqualTo(1);
        assertThat(LengthBuckets.of(22)).isEqualTo(1);
        assertThat(LengthBuckets.of(23)).isEqualTo(2);
        assertThat(LengthBuckets.of(32)).isEqualTo(3);
        assertThat(LengthBuckets.of(45)).isEqualTo(3);
        assertThat(LengthBuckets.of(46)).isEqualTo(4);
        assertThat(LengthBuckets.of(256)).isEqualTo(9);
        assertThat(LengthBuckets.of(Integer.MAX_VALUE)).isLessThan(64);
        // Every group's costs lie within sqrt(2) of each other (above the short group).
        for (int c = 17; c < 100_000; c++) {
            int g = LengthBuckets.of(c);
            double low = 16 * Math.pow(2, (g - 1) / 2.0);
            assertThat((double) c).as("cost %d in group %d", c, g).isBetween(low, low * Math.sqrt(2) + 1e-9);
        }
    }
}
