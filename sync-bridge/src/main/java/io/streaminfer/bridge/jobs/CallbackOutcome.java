package io.streaminfer.bridge.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The end of one callback, as the callbacks topic records it (key = job ID) and the job view shows it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class CallbackOutcome {
    /** DELIVERED, REFUSED (the address policy said no), or FAILED (retries exhausted or a 4xx answer). */
    @JsonProperty("state")
    public String state;
    @JsonProperty("url")
    public String url;
    @JsonProperty("attempts")
    public int attempts;
    @JsonProperty("http_status")
    public Integer httpStatus;
    @JsonProperty("reason")
    public String reason;
    @JsonProperty("at")
    public long at;

    public CallbackOutcome() {}

    public static CallbackOutcome of(String state, String url, int attempts, Integer httpStatus, String reason) {
        CallbackOutcome c = new CallbackOutcome();
        c.state = state;
        c.url = url;
        c.attempts = attempts;
        c.httpStatus = httpStatus;
        c.reason = reason;
        c.at = System.currentTimeMillis();
        return c;
    }

    public byte[] toJson() {
        try {
            return OipJson.MAPPER.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static CallbackOutcome fromJson(byte[] json) {
        try {
            return OipJson.MAPPER.readerFor(CallbackOutcome.class)
                    .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
