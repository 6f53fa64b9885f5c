package io.streaminfer.job.kafka;

import io.streaminfer.contract.StatusRecord;
import io.streaminfer.flink.records.StatusUpdate;
import io.streaminfer.flink.status.PublishedFinals;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the final states the job published on its status topic since a point in time, by record timestamp: every
 * partition from {@code offsetsForTimes} to the end offset it had when reading began. No consumer group, nothing
 * committed. At most {@code maxRecords} final states are kept (the newest); a restore from an old savepoint would
 * otherwise read hours of statuses.
 */
public final class StatusTopicReader implements PublishedFinals {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StatusTopicReader.class);

    private final String topic;
    private final Map<String, String> clientProperties;
    private final long timeoutMs;
    private final int maxRecords;

    /**
     * @param clientProperties bootstrap servers, security and any other client settings
     * @param timeoutMs how long reading may take before it fails (the restore then fails and is retried)
     */
    public StatusTopicReader(String topic, Map<String, String> clientProperties, long timeoutMs, int maxRecords) {
        this.topic = topic;
        this.clientProperties = Map.copyOf(clientProperties);
        this.timeoutMs = timeoutMs;
        this.maxRecords = maxRecords;
    }

    @Override
    public Map<String, StatusUpdate> since(long epochMs) {
        Map<String, StatusUpdate> finals = new HashMap<>();
        TopicScan.scan(clientProperties, topic, epochMs, timeoutMs, r -> {
            StatusRecord s;
            try {
                s = StatusRecord.fromJson(r.value());
            } catch (RuntimeException e) {
                return true; // not ours to judge: a reader skips what it cannot read
            }
            if (s.state().isFinal()) {
                String id = r.key() != null ? new String(r.key(), StandardCharsets.UTF_8) : s.id();
                finals.put(id, StatusUpdate.of(s));
            }
            if (finals.size() > maxRecords) {
                LOG.warn("More than {} final states published since {} on {}: keeping what was read so far",
                        maxRecords, epochMs, topic);
                return false;
            }
            return true;
        });
        return finals;
    }
}
