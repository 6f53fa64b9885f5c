package io.streaminfer.bridge.generate;

import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.TokenRecord;

/**
 * How one generation ended, whatever told the bridge: its result record, its last token record, or the bridge itself
 * (a publish that failed, a timeout).
 *
 * @param text the whole text (FINISHED), the text so far (CANCELLED, EXPIRED), or null where unknown
 * @param finishReason the job's: stop, length, cancelled, expired or error; null where the bridge ended it
 * @param promptTokens -1 where unknown, as {@code completionTokens}
 * @param httpStatus what a caller is answered: 200 for FINISHED and CANCELLED, the error's status otherwise
 * @param message why it failed or expired; null otherwise
 */
public record GenerationEnd(Kind kind, String text, String finishReason, int promptTokens, int completionTokens,
        int httpStatus, ErrorCode code, String message) {
    /** The ends a caller tells apart. */
    public enum Kind {
        /** Stopped by itself: an end-of-sequence or stop sequence ({@code stop}), or max_tokens ({@code length}). */
        FINISHED,
        /** Stopped by a cancel, with its text so far. */
        CANCELLED,
        /** Its deadline passed mid-way (or before it started). */
        EXPIRED,
        /** It failed: a bad request, a model error, Kafka away. */
        FAILED
    }

    public boolean succeeded() {
        return kind == Kind.FINISHED;
    }

    public static GenerationEnd failed(int httpStatus, ErrorCode code, String message) {
        return new GenerationEnd(Kind.FAILED, null, null, -1, -1, httpStatus, code, message);
    }

    public static GenerationEnd expired(String message) {
        return new GenerationEnd(Kind.EXPIRED, null, "expired", -1, -1, ErrorCode.DEADLINE_EXCEEDED.httpStatus(),
                ErrorCode.DEADLINE_EXCEEDED, message);
    }

    /** The same end with the text a stream assembled (the result may not carry it: an expired one). */
    public GenerationEnd withText(String assembled) {
        return new GenerationEnd(kind, assembled, finishReason, promptTokens, completionTokens, httpStatus, code,
                message);
    }

    /**
     * The end a generation's last token record says. An {@code error} there names no cause: its result does, so
     * the caller waits for that (null here).
     */
    public static GenerationEnd ofLastToken(TokenRecord last) {
        String reason = last.finishReason() == null ? "stop" : last.finishReason();
        return switch (reason) {
            case "cancelled" -> new GenerationEnd(Kind.CANCELLED, null, reason, last.promptTokens(),
                    last.completionTokens(), 200, null, null);
            case "expired" -> new GenerationEnd(Kind.EXPIRED, null, reason, last.promptTokens(),
                    last.completionTokens(), ErrorCode.DEADLINE_EXCEEDED.httpStatus(), ErrorCode.DEADLINE_EXCEEDED,
                    "the deadline passed after " + last.completionTokens() + " generated token(s)");
            case "error" -> null;
            default -> new GenerationEnd(Kind.FINISHED, null, reason, last.promptTokens(), last.completionTokens(),
                    200, null, null);
        };
    }

    /** The end a generation's result record says: its OIP response (text_output and the finish parameters). */
    public static GenerationEnd ofResult(Reply reply) {
        if (!reply.isSuccess()) {
            ErrorCode code = reply.errorCode();
            String message = reply.errorMessage();
            return code == ErrorCode.DEADLINE_EXCEEDED ? expired(message)
                    : failed(code.httpStatus(), code, message);
        }
        InferenceResponse r;
        try {
            r = OipJson.parseResponse(reply.jsonBody());
        } catch (RuntimeException e) {
            return failed(500, ErrorCode.INTERNAL, "unreadable result: " + e.getMessage());
        }
        String text = null;
        for (Tensor t : r.outputs()) {
            if (t.name().equals(GenerationOptions.TEXT_OUTPUT) && t.length() == 1) {
                text = t.strings()[0];
            }
        }
        Object finish = r.parameters().get(GenerationOptions.FINISH_REASON);
        String reason = finish instanceof String s ? s : "stop";
        Kind kind = "cancelled".equals(reason) ? Kind.CANCELLED : Kind.FINISHED;
        return new GenerationEnd(kind, text == null ? "" : text, reason,
                count(r.parameters().get(GenerationOptions.PROMPT_TOKENS)),
                count(r.parameters().get(GenerationOptions.COMPLETION_TOKENS)), 200, null, null);
    }

    private static int count(Object value) {
        return value instanceof Number n ? n.intValue() : -1;
    }
}
