package io.streaminfer.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static io.streaminfer.batching.Waits.await;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.runtime.Prediction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Many submitters, cancels and workers at once: every request completes or is cancelled, and none runs twice. */
class MicroBatcherConcurrencyTest extends BatcherTestSupport {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcherConcurrencyTest.class);

    @Test
    void concurrentSubmitsAndCancelsLoseNothingAndRunNothingTwice() throws InterruptedException {
        int threads = 4;
        int perThread = 10_000;
        int maxRows = 16;
        ConcurrentHashMap<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        AtomicInteger oversized = new AtomicInteger();
        BatchExecutor<InferenceRequest> noOp = batch -> {
            int rows = 0;
            List<Prediction> out = new ArrayList<>(batch.size());
            for (InferenceRequest r : batch) {
                runs.computeIfAbsent(r.id(), k -> new AtomicInteger()).incrementAndGet();
                rows += (int) r.rows();
                out.add(Prediction.success(new InferenceResponse("fake", null, r.id(), null, List.of())));
            }
            if (rows > maxRows && batch.size() > 1) {
                oversized.incrementAndGet();
            }
            return out;
        };
        var b = new MicroBatcher<>(config().maxBatchRows(maxRows).maxDelay(Duration.ofNanos(100_000))
                .workers(2).build(), noOp, listener, System::nanoTime, System::currentTimeMillis);
        List<List<CompletableFuture<Prediction>>> futures = new ArrayList<>();
        List<Thread> submitters = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            List<CompletableFuture<Prediction>> mine = new ArrayList<>(perThread);
            futures.add(mine);
            int thread = t;
            submitters.add(new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    int rows = 1 + i % 3;
                    String id = thread + "-" + i;
                    CompletableFuture<Prediction> f = b.submit(id, request(id, rows), Work.rows(rows), i % 4,
                            Long.MAX_VALUE);
                    if (i % 7 == 0) {
                        f.cancel(false);
                    }
                    mine.add(f);
                }
            }));
        }
        long begin = System.nanoTime();
        submitters.forEach(Thread::start);
        start.countDown();
        for (Thread t : submitters) {
            t.join();
        }
        List<CompletableFuture<Prediction>> all = futures.stream().flatMap(List::stream).toList();
        awaitAll(all);
        long tookNanos = System.nanoTime() - begin;
        LOG.info("{} requests through the batcher in {} ms ({} requests/s, {} batches)", all.size(),
                tookNanos / 1_000_000, (long) (all.size() / (tookNanos / 1e9)), listener.batches.size());
        b.close();

        int cancelled = 0;
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                CompletableFuture<Prediction> f = futures.get(t).get(i);
                AtomicInteger ran = runs.get(t + "-" + i);
                if (f.isCancelled()) {
                    cancelled++;
                    assertThat(ran == null ? 0 : ran.get()).isLessThanOrEqualTo(1);
                } else {
                    assertThat(f.join().isSuccess()).isTrue();
                    assertThat(ran).as("runs of %d-%d", t, i).isNotNull().hasValue(1);
                }
            }
        }
        assertThat(cancelled).isGreaterThan(0);
        assertThat(oversized).hasValue(0);
        await().until(() -> b.queuedRequests() == 0);
    }
}
