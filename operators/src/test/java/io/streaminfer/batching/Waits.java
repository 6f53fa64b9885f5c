package io.streaminfer.batching;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** Awaitility polling fast (the defaults poll every 100 ms), without touching its global settings. */
final class Waits {
    private Waits() {
    }

    static ConditionFactory await() {
        return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                .atMost(Duration.ofSeconds(10));
    }
}
