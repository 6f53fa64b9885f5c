package io.streaminfer.flink.status;

import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import java.io.IOException;
import java.time.Duration;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;

/**
 * The recorder's keyed state of final outcomes, one per request ID ({@code final-outcome}), in the forms {@link
 * KeptOutcome} describes; a success's result apart ({@code final-result}) for the result TTL when results are kept
 * shorter than IDs, not at all when that is 0.
 */
final class FinalOutcomes {
    /** What is kept for the current ID, read once per record: a final outcome, the awaited marker, or nothing. */
    record Lookup(Outcome kept, boolean awaited) {
        static final Lookup NOTHING = new Lookup(null, false);
        static final Lookup AWAITED = new Lookup(null, true);

        boolean hasFinal() {
            return kept != null;
        }
    }

    private final Duration stateTtl;
    private final Duration resultTtl;
    private ValueState<Outcome> finalOutcome;
    private ValueState<byte[]> finalResult;

    FinalOutcomes(Duration stateTtl, Duration resultTtl) {
        this.stateTtl = stateTtl;
        this.resultTtl = resultTtl;
    }

    /** Whether successes' outcomes are kept without their result (which, if kept at all, is in final-result). */
    private boolean resultApart() {
        return resultTtl.compareTo(stateTtl) < 0;
    }

    void open(RuntimeContext context) {
        ValueStateDescriptor<Outcome> d = new ValueStateDescriptor<>("final-outcome", Outcome.class);
        d.enableTimeToLive(StatusTtl.config(stateTtl));
        finalOutcome = context.getState(d);
        if (resultApart() && !resultTtl.isZero()) {
            ValueStateDescriptor<byte[]> r = new ValueStateDescriptor<>("final-result", byte[].class);
            r.enableTimeToLive(StatusTtl.config(resultTtl));
            finalResult = context.getState(r);
        }
    }

    Lookup lookup() throws IOException {
        Outcome value = finalOutcome.value();
        if (value == null) {
            return Lookup.NOTHING;
        }
        return KeptOutcome.isAwaitedMarker(value) ? Lookup.AWAITED : new Lookup(value, false);
    }

    /** Keeps a final outcome for later replays: compact, its result apart (or not at all) when so configured. */
    void keep(Outcome decided) throws IOException {
        Outcome kept = KeptOutcome.compact(decided);
        if (resultApart() && kept.state == RequestState.SUCCEEDED && kept.errorCode == null) {
            if (finalResult != null) {
                finalResult.update(kept.result);
            }
            kept = KeptOutcome.withoutResult(kept, decided);
        }
        finalOutcome.update(kept);
    }

    /** Keeps a success whose result is nowhere ({@link KeptOutcome#resultNotKept}) as it is. */
    void keepResultNotKept(Outcome notKept) throws IOException {
        finalOutcome.update(notKept);
    }

    /** Marks the ID as awaited by replays: it has no final outcome yet. */
    void markAwaited(String id) throws IOException {
        finalOutcome.update(KeptOutcome.awaitedMarker(id));
    }

    /**
     * A kept final outcome with its result: as kept, when the result is in it; else with the one kept apart, or,
     * when that is gone, the answer that it is not kept.
     */
    Outcome withResult(Outcome kept) throws IOException {
        if (!KeptOutcome.resultApart(kept)) {
            return kept;
        }
        byte[] result = finalResult == null ? null : finalResult.value();
        if (result == null) {
            return KeptOutcome.resultExpired(kept, resultTtl, stateTtl);
        }
        Outcome o = kept.copy();
        o.result = result;
        return o;
    }
}
