package io.streaminfer.bridge.grpc.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.streaminfer.bridge.grpc.proto.ModelConfigResponse;
import io.streaminfer.bridge.grpc.proto.ModelStatisticsResponse;
import io.streaminfer.bridge.grpc.proto.RepositoryIndexResponse;
import io.streaminfer.bridge.infer.TritonShapes;
import io.streaminfer.contract.OipJson;

/**
 * Triton's configuration, statistics and index messages from the JSON that {@link TritonShapes} writes for HTTP:
 * that JSON uses the messages' own field names, so protobuf's JSON mapping reads it and the two transports cannot
 * drift apart. Strict: a JSON field the .proto lacks is a bug here, not something to drop quietly.
 *
 * <pre>{@code
 * ModelConfigResponse r = TritonMessages.config(TritonShapes.config(repository.resolve("mlp-classifier", null)));
 * }</pre>
 */
public final class TritonMessages {
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private TritonMessages() {}

    /** {@code ModelConfigResponse{config}} from Triton's configuration JSON. */
    public static ModelConfigResponse config(ObjectNode config) {
        ModelConfigResponse.Builder b = ModelConfigResponse.newBuilder();
        merge(config, b.getConfigBuilder());
        return b.build();
    }

    /** {@code ModelStatisticsResponse} from {@code {"model_stats": [...]}}. */
    public static ModelStatisticsResponse statistics(ObjectNode stats) {
        ModelStatisticsResponse.Builder b = ModelStatisticsResponse.newBuilder();
        merge(stats, b);
        return b.build();
    }

    /** {@code RepositoryIndexResponse{models}} from the index's JSON array (HTTP answers the bare array). */
    public static RepositoryIndexResponse index(ArrayNode models) {
        RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
        ObjectNode wrapped = OipJson.MAPPER.createObjectNode();
        wrapped.set("models", models);
        merge(wrapped, b);
        return b.build();
    }

    private static void merge(JsonNode json, Message.Builder into) {
        try {
            PARSER.merge(OipJson.MAPPER.writeValueAsString(json), into);
        } catch (InvalidProtocolBufferException | JsonProcessingException e) {
            throw new IllegalStateException("Triton's JSON does not fit " + into.getDescriptorForType().getFullName()
                    + ": " + e.getMessage(), e);
        }
    }
}
