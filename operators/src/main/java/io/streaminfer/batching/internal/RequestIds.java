package io.streaminfer.batching.internal;

import java.util.List;

/** The request ids of a call, for log lines; long batches are cut short so one line stays readable. */
final class RequestIds {
    private static final int MAX_LISTED = 32;

    private RequestIds() {
    }

    static String of(List<? extends QueuedRequest<?>> requests) {
        StringBuilder sb = new StringBuilder("[");
        int n = Math.min(requests.size(), MAX_LISTED);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(requests.get(i).id);
        }
        if (requests.size() > n) {
            sb.append(", ... ").append(requests.size() - n).append(" more");
        }
        return sb.append(']').toString();
    }
}
