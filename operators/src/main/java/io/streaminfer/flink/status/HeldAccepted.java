package io.streaminfer.flink.status;

import io.streaminfer.flink.records.StatusUpdate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.OperatorStateStore;
import org.apache.flink.streaming.api.TimerService;

/**
 * ACCEPTED held back ({@code acceptedDelayMs} &gt; 0): a request's ACCEPTED is published only once it is that old and
 * nothing newer of the request has come; a request that ends sooner publishes its final status alone (which carries
 * {@code accepted_at}). Held records are flushed by the next record after their time or by one processing-time timer
 * per delay, not one per request, and are kept in operator state ({@code held-accepted}) across a checkpoint.
 */
final class HeldAccepted {
    private final long delayMs;
    /** Oldest first, by ID: published at {@code updatedAt + delayMs}. */
    private final LinkedHashMap<String, StatusUpdate> held = new LinkedHashMap<>();
    private ListState<StatusUpdate> state;
    private long timerAt;

    HeldAccepted(long delayMs) {
        if (delayMs < 0) {
            throw new IllegalArgumentException("accepted delay must be >= 0 ms, got " + delayMs);
        }
        this.delayMs = delayMs;
    }

    /** Registers the operator state; restores this subtask's held records ({@code mine}). */
    void initialize(OperatorStateStore store, boolean restored, Predicate<String> mine) throws Exception {
        state = store.getUnionListState(new ListStateDescriptor<>("held-accepted", StatusUpdate.class));
        if (restored) {
            for (StatusUpdate a : state.get()) {
                if (mine.test(a.id)) {
                    held.put(a.id, a); // their timer is restored with the keyed state, or the next record flushes them
                }
            }
        }
    }

    void snapshot() throws Exception {
        if (state != null) {
            state.update(new ArrayList<>(held.values()));
        }
    }

    /** Whether ACCEPTED is held back at all. */
    boolean holds() {
        return delayMs > 0;
    }

    boolean isEmpty() {
        return held.isEmpty();
    }

    void hold(StatusUpdate accepted, TimerService timers) {
        held.put(accepted.id, accepted);
        arm(timers);
    }

    /** The held ACCEPTED of {@code id}, no longer held; null when none is. */
    StatusUpdate take(String id) {
        return held.isEmpty() ? null : held.remove(id);
    }

    /** One timer at a time, for the oldest held record, on whichever key is current: it flushes every key's. */
    void arm(TimerService timers) {
        if (timerAt == 0 && !held.isEmpty()) {
            timerAt = held.values().iterator().next().updatedAt + delayMs;
            timers.registerProcessingTimeTimer(timerAt);
        }
    }

    /** Whether a timer at {@code timestamp} is the current one (not one restored from before a failover). */
    boolean timerFired(long timestamp) {
        if (timestamp != timerAt && timerAt != 0) {
            return false;
        }
        timerAt = 0;
        return true;
    }

    /**
     * Publishes the held records that are due, oldest first; one whose request's final state was published before a
     * restore ({@code finalPublished}: held at the checkpoint, final after it) is dropped, so no ACCEPTED lands after
     * its final state.
     */
    void flushDue(long now, Predicate<String> finalPublished, Consumer<StatusUpdate> publish) {
        for (var it = held.values().iterator(); it.hasNext(); ) {
            StatusUpdate a = it.next();
            if (a.updatedAt + delayMs > now) {
                return;
            }
            if (!finalPublished.test(a.id)) {
                publish.accept(a);
            }
            it.remove();
        }
    }
}
