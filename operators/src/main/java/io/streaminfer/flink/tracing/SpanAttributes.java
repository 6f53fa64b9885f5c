package io.streaminfer.flink.tracing;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attributes of the job's spans: OpenTelemetry's messaging conventions where they apply (the Kafka hops), ours
 * ({@code streaminfer.*}) for the rest. docs/tracing.md lists them with the spans.
 */
public final class SpanAttributes {
    public static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    public static final AttributeKey<String> MESSAGING_OPERATION = AttributeKey.stringKey("messaging.operation.type");
    public static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    public static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
    public static final AttributeKey<String> MESSAGE_KEY = AttributeKey.stringKey("messaging.kafka.message.key");
    public static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
    public static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("streaminfer.request.id");
    public static final AttributeKey<String> MODEL = AttributeKey.stringKey("streaminfer.model");
    public static final AttributeKey<String> MODEL_VERSION = AttributeKey.stringKey("streaminfer.model.version");
    public static final AttributeKey<String> STATE = AttributeKey.stringKey("streaminfer.state");
    public static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("streaminfer.error.code");
    public static final AttributeKey<String> STEP = AttributeKey.stringKey("streaminfer.graph.step");
    public static final AttributeKey<Long> BATCH_REQUESTS = TracedBatches.REQUESTS;
    public static final AttributeKey<Long> PROMPT_TOKENS = AttributeKey.longKey("streaminfer.generation.prompt_tokens");
    public static final AttributeKey<Long> COMPLETION_TOKENS =
            AttributeKey.longKey("streaminfer.generation.completion_tokens");

    private SpanAttributes() {}
}
