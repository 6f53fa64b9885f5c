package io.streaminfer.bridge.batch.store;

import java.util.Locale;

/** A batch's status, as OpenAI names them; {@link #FAILED} means its input failed validation. */
public enum BatchStatus {
    VALIDATING, FAILED, IN_PROGRESS, FINALIZING, COMPLETED, EXPIRED, CANCELLING, CANCELLED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static BatchStatus of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    /** Nothing happens to a batch in a final status. */
    public boolean isFinal() {
        return this == FAILED || this == COMPLETED || this == EXPIRED || this == CANCELLED;
    }
}
