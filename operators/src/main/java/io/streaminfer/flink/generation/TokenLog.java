package io.streaminfer.flink.generation;

import io.streaminfer.contract.TokenRecord;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Where streamed generations' deltas go, and where a restored subtask reads back what was published before a
 * failover. The job's is the token topic ({@code pipeline-job}'s Kafka implementation): deltas are readable within
 * milliseconds in every delivery mode (not at the next checkpoint), and a restored writer fences the one before it,
 * so that after {@link #openWriter} nothing of the previous attempt can still appear and {@link #readBack} sees all
 * that readers saw.
 */
public interface TokenLog extends Serializable {
    /**
     * The writer of subtask {@code subtask}; it fences the writers of the attempt before (the same subtask, and for
     * subtask 0 those of subtasks {@code parallelism} to {@code previousParallelism - 1} after a scale-down).
     */
    Writer openWriter(String jobName, int subtask, int parallelism, int previousParallelism);

    /**
     * What was published since {@code sinceMillis} for the requests {@code mine} accepts, by request ID, in
     * sequence order, as readers see them; called after {@link #openWriter}.
     */
    Map<String, List<TokenRecord>> readBack(long sinceMillis, Predicate<String> mine);

    /** One subtask's writer. */
    interface Writer extends AutoCloseable {
        /**
         * Publishes one step's records; the future completes when they are readable, or fails when they could not be
         * written (the subtask then fails and its requests are re-run after a restore).
         */
        CompletableFuture<Void> publish(List<Routed> records);

        @Override
        void close();
    }

    /**
     * A record and where it goes: its model (a header), the reply partition its request named, or -1, and its
     * request's W3C trace context (headers; null when none).
     */
    record Routed(TokenRecord record, String model, int partition, String traceparent, String tracestate) {
        public Routed(TokenRecord record, String model, int partition) {
            this(record, model, partition, null, null);
        }
    }
}
