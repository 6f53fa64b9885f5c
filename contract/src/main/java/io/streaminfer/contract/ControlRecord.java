package io.streaminfer.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * A record of the control topic ({@link Topics#CONTROL}, key = request ID): an instruction about a request in flight,
 * wherever it runs. JSON: {@code {"v":1,"id":"req-1","action":"cancel","reason":"client disconnected","at":...}}.
 * Every subtask that runs generations reads the whole topic (it is small), so a cancel reaches the subtask running
 * the request, and one that arrives before its request cancels it on arrival. Readers ignore fields they do not know.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ControlRecord(@JsonProperty("v") int version, @JsonProperty("id") String id,
        @JsonProperty("action") Action action, @JsonProperty("reason") String reason, @JsonProperty("at") long at) {
    public static final int VERSION = 1;

    /** What to do with the request. */
    public enum Action {
        /** Stop it at the next step: it ends CANCELLED with the text so far. */
        @JsonProperty("cancel")
        CANCEL
    }

    @JsonCreator
    public ControlRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(action, "action");
    }

    public static ControlRecord cancel(String id, String reason, long at) {
        return new ControlRecord(VERSION, id, Action.CANCEL, reason, at);
    }

    public byte[] toJson() {
        try {
            return OipJson.MAPPER.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException when {@code json} is not a control record */
    public static ControlRecord fromJson(byte[] json) {
        try {
            return OipJson.MAPPER.readValue(json, ControlRecord.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a control record: " + e.getMessage(), e);
        }
    }
}
