package io.streaminfer.generation.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * Sequences waiting for admission: by priority (lower first), then in arrival order. The head is admitted first and
 * nothing overtakes it, so within a priority nobody waits forever: the running sequences end within their {@code
 * max_tokens}, and the head fits once they have.
 */
final class WaitingQueue {
    private final PriorityQueue<Sequence> queue = new PriorityQueue<>(
            Comparator.<Sequence>comparingInt(s -> s.request.priority()).thenComparingLong(s -> s.arrival));

    void add(Sequence s) {
        queue.add(s);
    }

    Sequence peek() {
        return queue.peek();
    }

    Sequence poll() {
        return queue.poll();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }

    /** Takes out and returns every sequence {@code which} selects. */
    List<Sequence> removeIf(Predicate<Sequence> which) {
        List<Sequence> out = new ArrayList<>();
        for (Iterator<Sequence> it = queue.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (which.test(s)) {
                it.remove();
                out.add(s);
            }
        }
        return out;
    }
}
