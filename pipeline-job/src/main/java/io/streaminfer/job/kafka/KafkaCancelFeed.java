package io.streaminfer.job.kafka;

import io.streaminfer.contract.ControlRecord;
import io.streaminfer.flink.generation.CancelFeed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control topic as a {@link CancelFeed}: a consumer without a group on every partition, from a point in time on,
 * polled by a thread of its own. Each generating subtask runs one; the topic carries one small record per cancel.
 */
public final class KafkaCancelFeed implements CancelFeed {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(KafkaCancelFeed.class);

    private final String topic;
    private final Map<String, String> clientProperties;

    public KafkaCancelFeed(String topic, Map<String, String> clientProperties) {
        this.topic = topic;
        this.clientProperties = Map.copyOf(clientProperties);
    }

    @Override
    public AutoCloseable start(String jobName, int subtask, long sinceMillis, Consumer<String> onCancel) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        Duration wait = Duration.ofSeconds(30);
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, wait)) {
            partitions.add(new TopicPartition(topic, p.partition()));
        }
        consumer.assign(partitions);
        Map<TopicPartition, Long> at = new HashMap<>();
        partitions.forEach(tp -> at.put(tp, sinceMillis));
        Map<TopicPartition, OffsetAndTimestamp> from = consumer.offsetsForTimes(at, wait);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, wait);
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp o = from.get(tp);
            consumer.seek(tp, o == null ? end.get(tp) : o.offset());
        }
        Thread thread = new Thread(() -> poll(consumer, onCancel), "cancels-" + jobName + "-" + subtask);
        thread.setDaemon(true);
        thread.start();
        return () -> {
            consumer.wakeup();
            thread.join(10_000);
        };
    }

    private void poll(KafkaConsumer<byte[], byte[]> consumer, Consumer<String> onCancel) {
        try (consumer) {
            while (!Thread.currentThread().isInterrupted()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                    ControlRecord c;
                    try {
                        c = ControlRecord.fromJson(r.value());
                    } catch (IllegalArgumentException e) {
                        LOG.warn("Skipping an unreadable control record at {}-{}@{}: {}", r.topic(), r.partition(),
                                r.offset(), e.getMessage());
                        continue;
                    }
                    if (c.action() == ControlRecord.Action.CANCEL) {
                        onCancel.accept(c.id());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("The cancel feed of {} stopped: cancels are not seen until the task restarts", topic, e);
        }
    }
}
