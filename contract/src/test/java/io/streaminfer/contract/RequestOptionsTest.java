package io.streaminfer.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestOptionsTest {
    private static final long PRODUCED = 1_700_000_000_000L;

    private static RequestOptions options(Map<String, Object> parameters) {
        return RequestOptions.of(parameters, PRODUCED);
    }

    private static InferenceException refused(Map<String, Object> parameters) {
        InferenceException e = Fixtures.failure(() -> options(parameters));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT);
        return e;
    }

    @Test
    void noParametersMeanDefaultPriorityNoDeadlineNoCallback() {
        RequestOptions o = options(Map.of());

        assertThat(o.priority()).isEqualTo(RequestOptions.DEFAULT_PRIORITY).isEqualTo(Integer.MAX_VALUE);
        assertThat(o.hasDeadline()).isFalse();
        assertThat(o.deadlineMs()).isEqualTo(Long.MAX_VALUE);
        assertThat(o.expiredAt(Long.MAX_VALUE - 1)).isFalse();
        assertThat(o.callbackUrl()).isNull();
    }

    @Test
    void explicitPriorityIsKept() {
        assertThat(options(Map.of("priority", 1)).priority()).isEqualTo(1);
        assertThat(options(Map.of("priority", 7L)).priority()).isEqualTo(7);
        assertThat(options(Map.of("priority", "3")).priority()).as("text, as headers carry it").isEqualTo(3);
        assertThat(options(Map.of("priority", BigInteger.valueOf(5))).priority()).isEqualTo(5);
    }

    @Test
    void priorityZeroMeansTheDefault() {
        assertThat(options(Map.of("priority", 0)).priority()).isEqualTo(RequestOptions.DEFAULT_PRIORITY);
    }

    @Test
    void negativePriorityIsRefused() {
        assertThat(refused(Map.of("priority", -1)).getMessage()).contains("parameters.priority", "-1");
    }

    @Test
    void priorityBeyondIntIsRefused() {
        assertThat(refused(Map.of("priority", 3_000_000_000L)).getMessage()).contains("parameters.priority");
    }

    @Test
    void priorityFromParsedJsonIsRead() {
        InferenceRequest r = OipJson.parseRequest(
                "{\"parameters\":{\"priority\":4},\"inputs\":[{\"name\":\"x\",\"datatype\":\"BOOL\",\"shape\":[1],"
                        + "\"data\":[true]}]}");

        assertThat(RequestOptions.of(r.parameters(), PRODUCED).priority()).isEqualTo(4);
    }

    @Test
    void deadlineMsIsAbsolute() {
        RequestOptions o = options(Map.of("deadline_ms", PRODUCED + 500));

        assertThat(o.hasDeadline()).isTrue();
        assertThat(o.deadlineMs()).isEqualTo(PRODUCED + 500);
        assertThat(o.expiredAt(PRODUCED + 500)).as("expired only after the deadline").isFalse();
        assertThat(o.expiredAt(PRODUCED + 501)).isTrue();
    }

    @Test
    void timeoutIsMicrosecondsCountedFromProduction() {
        assertThat(options(Map.of("timeout", 2_000_000)).deadlineMs()).isEqualTo(PRODUCED + 2_000);
        assertThat(options(Map.of("timeout", 1_500)).deadlineMs()).as("truncated to ms").isEqualTo(PRODUCED + 1);
        assertThat(options(Map.of("timeout", 1)).deadlineMs()).as("at least 1 ms").isEqualTo(PRODUCED + 1);
        assertThat(RequestOptions.of(Map.of("timeout", 5_000), 100L).deadlineMs()).isEqualTo(105L);
    }

    @Test
    void earlierOfDeadlineAndTimeoutWins() {
        assertThat(options(Map.of("deadline_ms", PRODUCED + 100, "timeout", 1_000_000)).deadlineMs())
                .isEqualTo(PRODUCED + 100);
        assertThat(options(Map.of("deadline_ms", PRODUCED + 5_000, "timeout", 1_000_000)).deadlineMs())
                .isEqualTo(PRODUCED + 1_000);
    }

    @Test
    void nonPositiveTimeoutIsRefused() {
        assertThat(refused(Map.of("timeout", 0)).getMessage()).contains("parameters.timeout", "positive");
        assertThat(refused(Map.of("timeout", -5)).getMessage()).contains("parameters.timeout");
    }

    @Test
    void nonIntegerValuesAreRefusedNamingTheParameter() {
        assertThat(refused(Map.of("priority", 1.5)).getMessage())
                .contains("parameters.priority must be an integer", "1.5");
        assertThat(refused(Map.of("priority", true)).getMessage()).contains("parameters.priority");
        assertThat(refused(Map.of("deadline_ms", "soon")).getMessage())
                .contains("parameters.deadline_ms must be an integer", "soon");
        assertThat(refused(Map.of("deadline_ms", 1.0)).getMessage()).contains("parameters.deadline_ms");
        assertThat(refused(Map.of("timeout", "1s")).getMessage()).contains("parameters.timeout must be an integer");
        assertThat(refused(Map.of("timeout", Map.of("us", 1))).getMessage()).contains("parameters.timeout");
    }

    @Test
    void callbackUrlMustBeAString() {
        assertThat(options(Map.of("callback_url", "http://example/cb")).callbackUrl()).isEqualTo("http://example/cb");
        assertThat(refused(Map.of("callback_url", 42)).getMessage()).contains("parameters.callback_url");
    }

    @Test
    void unrelatedParametersAreIgnored() {
        RequestOptions o = options(Map.of("temperature", 0.7, "tags", java.util.List.of("a")));

        assertThat(o.priority()).isEqualTo(RequestOptions.DEFAULT_PRIORITY);
        assertThat(o.hasDeadline()).isFalse();
    }
    @Test
    void integerBeyondLongIsRefusedNamingTheParameter() {
        InferenceRequest r = OipJson.parseRequest("{\"parameters\":{\"deadline_ms\":99999999999999999999},"
                + "\"inputs\":[{\"name\":\"x\",\"datatype\":\"BOOL\",\"shape\":[1],\"data\":[true]}]}");

        assertThat(refused(r.parameters()).getMessage()).contains("parameters.deadline_ms");
    }
}
