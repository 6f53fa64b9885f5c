package io.streaminfer.flink.generation;

import java.io.Serializable;
import java.util.function.Consumer;

/**
 * The cancel instructions of the control topic, as each generating subtask reads them: all of them (a cancel is
 * small and rare), from {@code sinceMillis} on, so that a request re-run after a restore is still cancelled.
 */
public interface CancelFeed extends Serializable {
    /** Starts reading; {@code onCancel} gets each cancelled request's ID, on the feed's own thread. */
    AutoCloseable start(String jobName, int subtask, long sinceMillis, Consumer<String> onCancel);
}
