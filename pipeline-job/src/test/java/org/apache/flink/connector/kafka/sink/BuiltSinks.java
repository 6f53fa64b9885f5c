package org.apache.flink.connector.kafka.sink;

import java.util.Properties;

/**
 * The producer settings a built {@link KafkaSink} will use, read as the connector's own tests read them (the
 * accessor is package-private to the connector): what the builder made of the properties it was given.
 */
public final class BuiltSinks {
    private BuiltSinks() {}

    public static Properties producerConfig(KafkaSink<?> sink) {
        Properties copy = new Properties();
        copy.putAll(sink.getKafkaProducerConfig());
        return copy;
    }
}
