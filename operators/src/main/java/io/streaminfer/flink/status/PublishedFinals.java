package io.streaminfer.flink.status;

import io.streaminfer.flink.records.StatusUpdate;
import java.io.Serializable;
import java.util.Map;

/**
 * Reads back the final states published since a point in time: after a restore, the decisions made after the last
 * checkpoint are in no state, but with at-least-once delivery they may have reached readers. The job reads its status
 * topic ({@code io.streaminfer.job.kafka.StatusTopicReader}); with exactly-once delivery nothing published after a
 * checkpoint was visible, and there is nothing to read back ({@link #none()}).
 */
@FunctionalInterface
public interface PublishedFinals extends Serializable {
    /**
     * The last final state published for each request ID at or after {@code epochMs}.
     *
     * @throws RuntimeException when they cannot be read; the restore then fails and Flink tries again, since going on
     *     without them could contradict a published state
     */
    Map<String, StatusUpdate> since(long epochMs);

    /** Nothing to read back: exactly-once delivery (nothing after a checkpoint was visible), and tests. */
    static PublishedFinals none() {
        return NoneVisible.INSTANCE;
    }

    /** An enum, so that it is the same instance after the job graph's serialization. */
    enum NoneVisible implements PublishedFinals {
        INSTANCE;

        @Override
        public Map<String, StatusUpdate> since(long epochMs) {
            return Map.of();
        }

        @Override
        public String toString() {
            return "nothing to read back";
        }
    }
}
