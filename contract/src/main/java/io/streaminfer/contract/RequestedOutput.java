package io.streaminfer.contract;

import java.util.Map;
import java.util.Objects;

/** An entry of an OIP request's {@code outputs}: which output the caller wants back. */
public final class RequestedOutput {
    private final String name;
    private final Map<String, Object> parameters;

    public RequestedOutput(String name, Map<String, Object> parameters) {
        this.name = Objects.requireNonNull(name, "name");
        this.parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
    }

    public String name() {
        return name;
    }

    public Map<String, Object> parameters() {
        return parameters;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestedOutput && ((RequestedOutput) o).name.equals(name)
                && ((RequestedOutput) o).parameters.equals(parameters);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }
}
