package io.streaminfer.bridge.batch.feed;

import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.kafka.Reply;
import java.util.List;

/** What a line needs: requests to send and how their results answer it, or no request, its answer known already. */
sealed interface LinePlan permits LinePlan.Send, LinePlan.Refused {
    /** Answers a line from its requests' results, in the order of its requests. */
    interface Answer {
        /** @param requestId the line's (first) request ID, which OpenAI's answers name */
        LineAnswer of(String requestId, List<Reply> replies);
    }

    record Send(List<CheckedRequest> requests, Answer answer) implements LinePlan { }

    /** The request is bad: the endpoint would refuse it before running anything. */
    record Refused(LineAnswer answer) implements LinePlan { }
}
