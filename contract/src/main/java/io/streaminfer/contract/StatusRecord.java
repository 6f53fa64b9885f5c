package io.streaminfer.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.util.Objects;

/**
 * One status change of a request, as published on the status topic (compacted, keyed by request ID), versioned by
 * {@code v}. JSON: {@code {"v":1,"id","model","model_version","state","error_code","reason","accepted_at","updated_at"}}.
 * Readers must ignore fields they do not know; a new field never changes the meaning of an old one.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public final class StatusRecord {
    public static final int VERSION = 1;

    private final int version;
    private final String id;
    private final String model;
    private final String modelVersion;
    private final RequestState state;
    private final ErrorCode errorCode;
    private final String reason;
    private final long acceptedAt;
    private final long updatedAt;

    @JsonCreator
    public StatusRecord(@JsonProperty("v") int version, @JsonProperty("id") String id,
            @JsonProperty("model") String model, @JsonProperty("model_version") String modelVersion,
            @JsonProperty("state") RequestState state, @JsonProperty("error_code") ErrorCode errorCode,
            @JsonProperty("reason") String reason, @JsonProperty("accepted_at") long acceptedAt,
            @JsonProperty("updated_at") long updatedAt) {
        this.version = version;
        this.id = Objects.requireNonNull(id, "id");
        this.model = model;
        this.modelVersion = modelVersion;
        this.state = Objects.requireNonNull(state, "state");
        this.errorCode = errorCode;
        this.reason = reason;
        this.acceptedAt = acceptedAt;
        this.updatedAt = updatedAt;
    }

    public static StatusRecord of(String id, String model, String modelVersion, RequestState state, long acceptedAt,
            long now) {
        return new StatusRecord(VERSION, id, model, modelVersion, state, null, null, acceptedAt, now);
    }

    public static StatusRecord failed(String id, String model, String modelVersion, RequestState state,
            ErrorCode code, String reason, long acceptedAt, long now) {
        return new StatusRecord(VERSION, id, model, modelVersion, state, code, reason, acceptedAt, now);
    }

    @JsonProperty("v")
    public int version() {
        return version;
    }

    @JsonProperty("id")
    public String id() {
        return id;
    }

    @JsonProperty("model")
    public String model() {
        return model;
    }

    @JsonProperty("model_version")
    public String modelVersion() {
        return modelVersion;
    }

    @JsonProperty("state")
    public RequestState state() {
        return state;
    }

    @JsonProperty("error_code")
    public ErrorCode errorCode() {
        return errorCode;
    }

    @JsonProperty("reason")
    public String reason() {
        return reason;
    }

    /** Epoch milliseconds when the pipeline first accepted the request. */
    @JsonProperty("accepted_at")
    public long acceptedAt() {
        return acceptedAt;
    }

    /** Epoch milliseconds of this change. */
    @JsonProperty("updated_at")
    public long updatedAt() {
        return updatedAt;
    }

    public byte[] toJson() {
        try {
            return OipJson.MAPPER.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static StatusRecord fromJson(byte[] json) {
        try {
            return OipJson.MAPPER.readValue(json, StatusRecord.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a status record: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof StatusRecord)) {
            return false;
        }
        StatusRecord s = (StatusRecord) o;
        return version == s.version && id.equals(s.id) && Objects.equals(model, s.model)
                && Objects.equals(modelVersion, s.modelVersion) && state == s.state && errorCode == s.errorCode
                && Objects.equals(reason, s.reason) && acceptedAt == s.acceptedAt && updatedAt == s.updatedAt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, state, updatedAt);
    }

    @Override
    public String toString() {
        return "StatusRecord{" + id + " " + state + (reason == null ? "" : " (" + reason + ")") + "}";
    }
}
