package io.streaminfer.job.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** A choice in the job's YAML: an enum constant written as its lower-case, hyphenated name there. */
public interface ConfigChoice {
    /** How the YAML file writes it. */
    @JsonValue
    String configName();

    /** The choices of {@code type} as a sentence fragment: "a, b or c". */
    static String choices(Class<?> type) {
        Object[] constants = type.getEnumConstants();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < constants.length; i++) {
            s.append(i == 0 ? "" : i == constants.length - 1 ? " or " : ", ")
                    .append(((ConfigChoice) constants[i]).configName());
        }
        return s.toString();
    }
}
