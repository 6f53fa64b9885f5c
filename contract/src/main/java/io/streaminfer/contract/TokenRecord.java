package io.streaminfer.contract;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record of the token topic ({@link Topics#TOKENS}, key = request ID): what one decoding step added to a streamed
 * generation. JSON:
 *
 * <pre>{@code
 * {"v":1,"id":"req-1","seq":0,"text":"The","tokens":[464]}
 * {"v":1,"id":"req-1","seq":1,"text":" nation","tokens":[3277,318]}
 * {"v":1,"id":"req-1","seq":2,"text":".","tokens":[13],"last":true,"finish_reason":"stop",
 *  "prompt_tokens":12,"completion_tokens":4}
 * }</pre>
 *
 * A request's records have sequence numbers 0, 1, 2, ... without gaps or repeats, across failovers too; their texts
 * joined are the final result's text. The last one says {@code last: true} with the finish reason and token counts;
 * its text may be empty. Read them with Kafka's default isolation (read_uncommitted): the job sends them as their
 * step ends, in transactions that serve only to fence a failed attempt's writer; with read_committed they would come
 * up to a second late, and the records of a writer fenced by a failover (which default readers saw, and the re-run
 * continues after) would be missing. Readers ignore fields they do not know.
 *
 * @param finishReason {@code stop}, {@code length}, {@code cancelled}, {@code expired} or {@code error} on the last
 *        record; null before
 */
public record TokenRecord(String id, int seq, String text, int[] tokens, boolean last, String finishReason,
        int promptTokens, int completionTokens) {
    public static final int VERSION = 1;

    public TokenRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(tokens, "tokens");
    }

    /** A record before the last. */
    public static TokenRecord delta(String id, int seq, String text, int[] tokens) {
        return new TokenRecord(id, seq, text, tokens, false, null, -1, -1);
    }

    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + text.length() + 6 * tokens.length);
        try (JsonGenerator g = OipJson.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("v", VERSION);
            g.writeStringField("id", id);
            g.writeNumberField("seq", seq);
            g.writeStringField("text", text);
            g.writeFieldName("tokens");
            g.writeArray(tokens, 0, tokens.length);
            if (last) {
                g.writeBooleanField("last", true);
                if (finishReason != null) {
                    g.writeStringField("finish_reason", finishReason);
                }
                g.writeNumberField("prompt_tokens", promptTokens);
                g.writeNumberField("completion_tokens", completionTokens);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** @throws IllegalArgumentException when {@code json} is not a token record */
    public static TokenRecord fromJson(byte[] json) {
        String id = null;
        int seq = -1;
        String text = null;
        int[] tokens = new int[0];
        boolean last = false;
        String finish = null;
        int prompt = -1;
        int completion = -1;
        try (JsonParser p = OipJson.MAPPER.getFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a token record: not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "id" -> id = p.getValueAsString();
                    case "seq" -> seq = p.getIntValue();
                    case "text" -> text = p.getValueAsString();
                    case "tokens" -> tokens = readInts(p);
                    case "last" -> last = p.getBooleanValue();
                    case "finish_reason" -> finish = p.getValueAsString();
                    case "prompt_tokens" -> prompt = p.getIntValue();
                    case "completion_tokens" -> completion = p.getIntValue();
                    default -> {
                        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                            p.skipChildren();
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not a token record: " + e.getMessage(), e);
        }
        if (id == null || seq < 0 || text == null) {
            throw new IllegalArgumentException("not a token record: it needs id, seq and text");
        }
        return new TokenRecord(id, seq, text, tokens, last, finish, prompt, completion);
    }

    private static int[] readInts(JsonParser p) throws IOException {
        int[] out = new int[8];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (n == out.length) {
                out = Arrays.copyOf(out, n * 2);
            }
            out[n++] = p.getIntValue();
        }
        return Arrays.copyOf(out, n);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenRecord r && id.equals(r.id) && seq == r.seq && text.equals(r.text)
                && Arrays.equals(tokens, r.tokens) && last == r.last && Objects.equals(finishReason, r.finishReason)
                && promptTokens == r.promptTokens && completionTokens == r.completionTokens;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, seq, text, last);
    }

    @Override
    public String toString() {
        return "TokenRecord{" + id + " #" + seq + " " + text.length() + " chars" + (last ? " last " + finishReason : "")
                + "}";
    }
}
