package io.streaminfer.batching.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CallTimesTest {

    @Test
    void theBudgetIsTheMinimumUntilACallHasBeenSeen() {
        CallTimes t = new CallTimes(1_000, 10);
        assertThat(t.budgetNanos(1)).isEqualTo(1_000);
        assertThat(t.budgetNanos(1_000_000)).isEqualTo(1_000);
    }

    @Test
    void theBudgetGrowsWithCostAtFactorTimesWhatCallsTook() {
        CallTimes t = new CallTimes(1_000, 10);
        t.observe(100, 50_000); // 500 ns per unit
        assertThat(t.budgetNanos(1)).isEqualTo(5_000);
        assertThat(t.budgetNanos(1_000)).isEqualTo(5_000_000);
        assertThat(t.budgetNanos(0)).isEqualTo(5_000); // a cost of 0 counts as 1
    }

    @Test
    void slowerCallsRaiseTheEstimateSmoothly() {
        CallTimes t = new CallTimes(0, 1);
        t.observe(1, 100);
        t.observe(1, 200); // 0.8 × 100 + 0.2 × 200
        assertThat(t.budgetNanos(1)).isEqualTo(120);
    }
}
