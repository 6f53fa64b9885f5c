package io.streaminfer.flink.status;

import java.time.Duration;
import org.apache.flink.api.common.state.StateTtlConfig;

/** The TTL of the trackers' keyed state: from creation or the last write; expired entries are never read. */
final class StatusTtl {
    private StatusTtl() {}

    static StateTtlConfig config(Duration ttl) {
        return StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupInRocksdbCompactFilter(1000)
                .build();
    }
}
