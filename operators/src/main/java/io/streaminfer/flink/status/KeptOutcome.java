package io.streaminfer.flink.status;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.StatusUpdate;
import java.time.Duration;
import java.time.Instant;
import org.apache.flink.annotation.Internal;

/**
 * A request's final outcome as the recorder keeps it for replays (keyed state {@code final-outcome}), and the forms it
 * takes there. Kept in {@link Outcome}'s serialized layout, so that state written by earlier versions reads as it is;
 * what those fields mean in state is decided here alone:
 *
 * <ul>
 *   <li><b>compact</b>: a success whose published result is long JSON keeps its binary framing instead (about a
 *       third of the bytes), marked {@code jsonFromState}; {@link #published} writes the same JSON again;</li>
 *   <li><b>result kept apart</b> (results kept shorter than IDs): a success without its result, which is in keyed
 *       state {@code final-result} for the result TTL;</li>
 *   <li><b>result not kept</b>: SUCCEEDED with an error code (RESULT_NOT_KEPT; INTERNAL from earlier versions): a
 *       success whose result is nowhere in state, answered with an error that says so;</li>
 *   <li><b>awaited</b>: before any final outcome, a marker (a record written as a replay) that replays wait in
 *       {@code waiting-replays}, so that only such IDs pay for reading that list.</li>
 * </ul>
 */
@Internal
public final class KeptOutcome {
    private KeptOutcome() {}

    /** A final outcome in the form kept: its result compact when it has a compact form. */
    public static Outcome compact(Outcome decided) {
        if (decided.stored == null) {
            return decided;
        }
        Outcome kept = decided.copy();
        kept.result = decided.stored;
        kept.resultHeaderLength = decided.storedHeaderLength;
        kept.stored = null;
        kept.storedHeaderLength = -1;
        kept.jsonFromState = true;
        return kept;
    }

    /** The published form of a kept outcome again: JSON where it was kept compact from JSON. */
    public static Outcome published(Outcome kept) {
        Outcome o = kept.copy();
        if (kept.jsonFromState) {
            o.result = OipJson.writeResponse(OipBinary.parseResponse(kept.result, kept.resultHeaderLength));
            o.resultHeaderLength = -1;
            o.jsonFromState = false;
        }
        return o;
    }

    /** A success whose result is kept apart (or not at all): the outcome without it. */
    static Outcome withoutResult(Outcome kept, Outcome decided) {
        Outcome o = kept == decided ? decided.copy() : kept; // never change what is published
        o.result = null;
        return o;
    }

    /** Whether a kept success's result is kept apart from it (it has none of its own). */
    static boolean resultApart(Outcome kept) {
        return kept.state == RequestState.SUCCEEDED && kept.errorCode == null && kept.result == null;
    }

    /** A success kept without a result to give (either kind; state of earlier versions marks it INTERNAL). */
    static boolean isResultNotKept(Outcome kept) {
        return kept.state == RequestState.SUCCEEDED && kept.errorCode != null;
    }

    /** The marker of "no final outcome yet, and replays wait for it"; no final outcome is ever written as a replay. */
    static Outcome awaitedMarker(String id) {
        Outcome m = new Outcome();
        m.id = id;
        m.replay = true;
        return m;
    }

    static boolean isAwaitedMarker(Outcome kept) {
        return kept.replay;
    }

    /**
     * What a replay of a success gets once its result is no longer kept: {@link ErrorCode#RESULT_NOT_KEPT}, saying
     * when it succeeded and where its result went. Like {@link #resultNotKept}, never published as a status.
     */
    static Outcome resultExpired(Outcome kept, Duration resultTtl, Duration stateTtl) {
        return noResult(kept, kept, "request " + kept.id + " SUCCEEDED at " + Instant.ofEpochMilli(kept.finishedAt)
                + " and its result was published to its caller then"
                + (kept.replyTo != null ? " (reply topic " + kept.replyTo + ")" : "")
                + "; the job keeps results to answer a repeated ID for " + resultTtl.toMinutes()
                + " min (state.result-ttl-minutes) and IDs for " + stateTtl.toMinutes() + " min (state.ttl-minutes), "
                + "so this duplicate is not run again: read the published result, or send the request again with a "
                + "new ID");
    }

    /**
     * What replays of a request get when it was published SUCCEEDED before a restore and its re-run failed: that
     * result went to its caller then and is in no state now, so they get a RESULT_NOT_KEPT error that says so (a
     * caller must not wait for a reply that cannot come, nor get the re-run's failure, which contradicts the
     * published state). Kept as the final outcome, never published as a status.
     */
    static Outcome resultNotKept(StatusUpdate before, Outcome rerun) {
        Outcome o = noResult(rerun, rerun, "request " + rerun.id + " SUCCEEDED before a failover of the job and its "
                + "result was published to its caller then"
                + (rerun.replyTo != null ? " (reply topic " + rerun.replyTo + ")" : "")
                + "; its re-run after the failover ended " + rerun.state + ", so no result is kept to answer a "
                + "duplicate: read the published one, or send the request again with a new ID");
        o.acceptedAt = before.acceptedAt;
        o.finishedAt = before.updatedAt;
        return o;
    }

    /** {@code base} as a success without a result, answering RESULT_NOT_KEPT for {@code reason}. */
    private static Outcome noResult(Outcome base, Outcome named, String reason) {
        Outcome o = base.copy();
        o.state = RequestState.SUCCEEDED;
        o.errorCode = ErrorCode.RESULT_NOT_KEPT;
        o.reason = reason;
        o.result = OipJson.writeError(named.responseId != null ? named.responseId : named.id, o.errorCode, reason);
        o.resultHeaderLength = -1;
        o.jsonFromState = false;
        o.stored = null;
        o.storedHeaderLength = -1;
        o.callbackUrl = null;
        return o;
    }
}
