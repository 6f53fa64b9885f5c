package io.streaminfer.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.util.Objects;

/**
 * One status change of a request, as published on the status topic (compacted, keyed by request ID), versioned by
 * {@code v}. JSON: {@code {"v":1,"id","model","model_version","state","error_code","reason","accepted_at","updated_at"}},
 * plus {@code "step"} for graph requests. Readers must ignore fields they do not know; a new field never changes the meaning of an old one.
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
    private final String step;

    public StatusRecord(int version, String id, String model, String modelVersion, RequestState state,
            ErrorCode errorCode, String reason, long acceptedAt, long updatedAt) {
        this(version, id, model, modelVersion, state, errorCode, reason, acceptedAt, updatedAt, null);
    }

    /** @param step the graph step a graph request is at (RUNNING) or failed in; null otherwise */
    @JsonCreator
    public StatusRecord(@JsonProperty("v") int version, @JsonProperty("id") String id,
            @JsonProperty("model") String model, @JsonProperty("model_version") String modelVersion,
            @JsonProperty("state") RequestState state, @JsonProperty("error_code") ErrorCode errorCode,
            @JsonProperty("reason") String reason, @JsonProperty("accepted_at") long acceptedAt,
            @JsonProperty("updated_at") long updatedAt, @JsonProperty("step") String step) {
        this.step = step;
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

    /**
     * For graph requests only: the step it is at ({@code RUNNING}) or that failed ({@code FAILED}); absent for
     * models and other states. Added in version 1 as an optional field: older readers ignore it.
     */
    @JsonProperty("step")
    public String step() {
        return step;
    }

    /**
     * The record's JSON, field for field what the annotations above describe (absent fields left out), written by
     * {@code JsonObjectBytes} without a generator per record: the job writes one or two of these per request.
     */
    public byte[] toJson() {
        return new JsonObjectBytes(96 + id.length() + (reason == null ? 0 : reason.length()))
                .field("v", version)
                .field("id", id)
                .field("model", model)
                .field("model_version", modelVersion)
                .field("state", state.name())
                .field("error_code", errorCode == null ? null : errorCode.name())
                .field("reason", reason)
                .field("accepted_at", acceptedAt)
                .field("updated_at", updatedAt)
                .field("step", step)
                .end();
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
                && Objects.equals(reason, s.reason) && acceptedAt == s.acceptedAt && updatedAt == s.updatedAt
                && Objects.equals(step, s.step);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, state, updatedAt);
    }

    @Override
    public String toString() {
        return "StatusRecord{" + id + " " + state + (step == null ? "" : " at " + step)
                + (reason == null ? "" : " (" + reason + ")") + "}";
    }
}
