package io.streaminfer.flink.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GpuStandInReplicaTest {

    @Test
    void theCurveGivesTheMeasuredTimesAtTheMeasuredPoints() {
        assertThat(GpuStandInReplica.batchMillis(1, 16)).isCloseTo(1.53, within(1e-9));
        assertThat(GpuStandInReplica.batchMillis(512, 16)).isCloseTo(2.52, within(1e-9));
        assertThat(GpuStandInReplica.batchMillis(128, 128)).isCloseTo(2.12, within(1e-9));
        assertThat(GpuStandInReplica.batchMillis(2048, 128)).isCloseTo(28.05, within(1e-9));
    }

    @Test
    void betweenAndBeyondThePointsItInterpolatesAndScales() {
        double mid = GpuStandInReplica.batchMillis(256, 16);
        assertThat(mid).isBetween(1.67, 2.52);
        assertThat(GpuStandInReplica.batchMillis(512, 72)).isBetween(2.52, 7.46);
        assertThat(GpuStandInReplica.batchMillis(512, 256)).isCloseTo(2 * 7.46, within(1e-9));
        assertThat(GpuStandInReplica.batchMillis(1, 4)).as("shorter than 16 costs what 16 does")
                .isCloseTo(1.53, within(1e-9));
        assertThat(GpuStandInReplica.batchMillis(4096, 16)).as("past the last point, on the last slope")
                .isGreaterThan(7.02);
    }
}
