package io.streaminfer.bridge.batch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.openai.OpenAiError;
import java.util.List;
import java.util.function.Function;

/**
 * One page of a list in OpenAI's cursor pagination: the items after the one whose ID is {@code after} (all from the
 * first when absent), at most {@code limit}; {@code has_more}, {@code first_id} and {@code last_id} tell the client
 * where it is ({@code after=last_id} gets the next page).
 */
record Page<T>(List<T> items, boolean hasMore) {
    static <T> Page<T> of(List<T> all, Function<T, String> id, String after, String limit, int defaultLimit,
            int maxLimit) {
        int n = defaultLimit;
        if (limit != null) {
            try {
                n = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > maxLimit) {
                throw OpenAiError.badRequest("limit must be 1-" + maxLimit + ", got '" + limit + "'", "limit");
            }
        }
        int from = 0;
        if (after != null && !after.isEmpty()) {
            from = -1;
            for (int i = 0; i < all.size(); i++) {
                if (id.apply(all.get(i)).equals(after)) {
                    from = i + 1;
                    break;
                }
            }
            if (from < 0) {
                throw OpenAiError.badRequest("after names no item of the list: '" + after + "'", "after");
            }
        }
        int to = Math.min(all.size(), from + n);
        return new Page<>(List.copyOf(all.subList(from, to)), to < all.size());
    }

    /** Adds {@code first_id}, {@code last_id} (null when empty) and {@code has_more}. */
    void describe(ObjectNode o, Function<T, String> id) {
        if (items.isEmpty()) {
            o.putNull("first_id");
            o.putNull("last_id");
        } else {
            o.put("first_id", id.apply(items.get(0)));
            o.put("last_id", id.apply(items.get(items.size() - 1)));
        }
        o.put("has_more", hasMore);
    }
}
