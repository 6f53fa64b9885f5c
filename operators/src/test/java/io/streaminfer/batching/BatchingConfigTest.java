package io.streaminfer.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.batching.internal.CostBuckets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BatchingConfigTest {

    @Test
    void defaults() {
        BatchingConfig c = BatchingConfig.builder().build();
        assertThat(c.maxBatchRows()).isEqualTo(32);
        assertThat(c.maxDelay()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.workers()).isEqualTo(1);
        assertThat(c.bucketing()).isFalse();
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
    void costBucketIsTheSmallestPowerOfTwoAtLeastTheCost() {
        assertThat(CostBuckets.of(0)).isZero();
        assertThat(CostBuckets.of(1)).isZero();
        assertThat(CostBuckets.of(2)).isEqualTo(1);
        assertThat(CostBuckets.of(3)).isEqualTo(2);
        assertThat(CostBuckets.of(4)).isEqualTo(2);
        assertThat(CostBuckets.of(5)).isEqualTo(3);
        assertThat(CostBuckets.of(128)).isEqualTo(7);
        assertThat(CostBuckets.of(129)).isEqualTo(8);
        assertThat(CostBuckets.of(Integer.MAX_VALUE)).isEqualTo(31);
    }
}
