package io.streaminfer.flink.status;

import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.util.Collector;

/**
 * Where replays are answered: a replay of a request with a final outcome gets that outcome, routed to the replay's
 * caller; one that comes while its request is running leaves its route (keyed state {@code waiting-replays}, one
 * per route, for IDs marked awaited in {@link FinalOutcomes}) and is answered when the final outcome comes, so a
 * caller that retries through another bridge replica gets its reply too.
 */
final class ReplayRouting {
    private final Duration stateTtl;
    private ListState<Outcome> waiting;

    ReplayRouting(Duration stateTtl) {
        this.stateTtl = stateTtl;
    }

    void open(RuntimeContext context) {
        ListStateDescriptor<Outcome> w = new ListStateDescriptor<>("waiting-replays", Outcome.class);
        w.enableTimeToLive(StatusTtl.config(stateTtl));
        waiting = context.getListState(w);
    }

    /**
     * Keeps a replay's route until its request's final outcome; with {@code othersWait}, a route already waiting is
     * not kept twice.
     */
    void await(Outcome replay, boolean othersWait) throws Exception {
        if (othersWait) {
            for (Outcome w : waiting.get()) {
                if (sameRoute(w, replay)) {
                    return;
                }
            }
        }
        Outcome route = new Outcome();
        route.id = replay.id;
        route.replyTo = replay.replyTo;
        route.replyPartition = replay.replyPartition;
        route.replay = true;
        waiting.add(route);
    }

    /**
     * The final outcome again for each waiting caller, then none waits; with {@code published}, not on the final's
     * own route, which has it already. Returns how many were answered.
     */
    int answerWaiting(Outcome decided, Collector<Outcome> out, boolean published) throws Exception {
        int answered = 0;
        for (Outcome w : waiting.get()) {
            if (!published || !sameRoute(w, decided)) {
                answered++;
                out.collect(Outcomes.replayAnswer(decided, w));
            }
        }
        waiting.clear();
        return answered;
    }

    private static boolean sameRoute(Outcome a, Outcome b) {
        return Objects.equals(a.replyTo, b.replyTo) && a.replyPartition == b.replyPartition;
    }
}
