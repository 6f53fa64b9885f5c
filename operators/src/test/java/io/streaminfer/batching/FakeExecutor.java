package io.streaminfer.batching;

import static io.streaminfer.batching.Waits.await;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.runtime.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A model stand-in that records the ids of every batch it gets and can hold calls at a {@link Gate} until the test
 * releases them. Requests succeed unless named in one of the failure sets.
 */
final class FakeExecutor implements BatchExecutor<InferenceRequest> {
    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    private final List<Gate> gates = new CopyOnWriteArrayList<>();

    /** Any batch holding one of these fails as a whole with MODEL_ERROR (or throws, see {@link #throwOnPoison}). */
    volatile Set<String> poison = Set.of();
    volatile boolean throwOnPoison;
    /** These fail alone with INVALID_INPUT. */
    volatile Set<String> invalid = Set.of();
    /** These fail alone with MODEL_ERROR, whatever batch they are in. */
    volatile Set<String> failAlone = Set.of();
    /** When set, every call throws it. */
    volatile RuntimeException alwaysThrow;

    /** Holds every call whose ids match, from now until released. */
    Gate hold(Predicate<List<String>> which) {
        Gate g = new Gate(which);
        gates.add(g);
        return g;
    }

    Gate holdAll() {
        return hold(ids -> true);
    }

    @Override
    public List<Prediction> run(List<InferenceRequest> batch) {
        List<String> ids = new ArrayList<>();
        for (InferenceRequest r : batch) {
            ids.add(r.id());
        }
        batches.add(List.copyOf(ids));
        for (Gate g : gates) {
            g.pass(ids);
        }
        if (alwaysThrow != null) {
            throw alwaysThrow;
        }
        if (ids.stream().anyMatch(poison::contains)) {
            if (throwOnPoison) {
                throw new IllegalStateException("forward failed: poisoned batch");
            }
            List<Prediction> out = new ArrayList<>();
            ids.forEach(id -> out.add(Prediction.failure(ErrorCode.MODEL_ERROR, "batch failed")));
            return out;
        }
        List<Prediction> out = new ArrayList<>();
        for (String id : ids) {
            if (invalid.contains(id)) {
                out.add(Prediction.failure(ErrorCode.INVALID_INPUT, "bad input " + id));
            } else if (failAlone.contains(id)) {
                out.add(Prediction.failure(ErrorCode.MODEL_ERROR, "model failed on " + id));
            } else {
                out.add(Prediction.success(new InferenceResponse("fake", null, id, null, List.of())));
            }
        }
        return out;
    }

    /** The batches run so far, as id lists. */
    List<List<String>> batches() {
        return List.copyOf(batches);
    }

    final class Gate {
        private final Predicate<List<String>> which;
        private final CountDownLatch open = new CountDownLatch(1);
        private final AtomicInteger entered = new AtomicInteger();

        private Gate(Predicate<List<String>> which) {
            this.which = which;
        }

        private void pass(List<String> ids) {
            if (open.getCount() == 0 || !which.test(ids)) {
                return;
            }
            entered.incrementAndGet();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while held", e);
            }
        }

        /** Waits until {@code calls} calls are held here. */
        void awaitEntered(int calls) {
            await().until(() -> entered.get() >= calls);
        }

        void release() {
            gates.remove(this);
            open.countDown();
        }
    }
}
