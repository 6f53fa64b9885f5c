package io.streaminfer.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Small builders for OIP JSON text and a helper that captures the {@link InferenceException} a call throws. */
public final class Fixtures {
    private Fixtures() {}

    /** One input tensor object; {@code shape} and {@code data} are JSON text, e.g. {@code "[2]"}. */
    public static String input(String name, String datatype, String shape, String data) {
        return "{\"name\":\"" + name + "\",\"datatype\":\"" + datatype + "\",\"shape\":" + shape + ",\"data\":" + data
                + "}";
    }

    /** A request object holding the given input objects and nothing else. */
    public static String request(String... inputs) {
        return "{\"inputs\":[" + String.join(",", inputs) + "]}";
    }

    /** A request of a single input. */
    public static String request1(String datatype, String shape, String data) {
        return request(input("x", datatype, shape, data));
    }

    /** Turns single quotes into double quotes, so JSON can be written inline without escapes. */
    public static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Runs {@code call}, asserts it throws an {@link InferenceException}, and returns it. */
    public static InferenceException failure(ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("expected an InferenceException").isInstanceOf(InferenceException.class);
        return (InferenceException) t;
    }

    /** Parses {@code json} as a request and returns the failure it must cause. */
    public static InferenceException parseFailure(String json) {
        return failure(() -> OipJson.parseRequest(json));
    }

    public static long[] shape(long... dims) {
        return dims;
    }

    public static String names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).collect(Collectors.joining(", "));
    }
}
