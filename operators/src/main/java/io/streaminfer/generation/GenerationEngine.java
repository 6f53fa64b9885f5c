package io.streaminfer.generation;

import io.streaminfer.generation.internal.EngineLoop;
import io.streaminfer.generation.internal.Sequence;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching of one decoder model replica: one thread runs {@link EngineLoop}'s steps while there is work;
 * requests join the running batch at the next step; deltas of streamed sequences go to the listener once per step;
 * each request's future completes with its result when it ends (end of sequence, stop sequence, {@code max_tokens},
 * the context, a cancel, its deadline, or a model failure on it alone).
 *
 * <pre>{@code
 * GenerationEngine engine = new GenerationEngine(model, tokenText, EngineConfig.builder().name("sotu-gpt").build(),
 *         deltas -> publish(deltas), EngineListener.NONE);
 * engine.awaitRoom();                                   // backpressure: blocks while maxWaiting sequences wait
 * engine.submit(request).thenAccept(result -> answer(result));
 * engine.cancel("req-1");                               // ends it at the next step with the text so far
 * engine.close();
 * }</pre>
 *
 * <p>A model call longer than {@link EngineConfig#watchdog()} fails the engine: its sequences end with {@link
 * FinishReason#ERROR} and {@link #failure()} says why, so its host can start a fresh one (the stuck call cannot be
 * interrupted).
 */
public final class GenerationEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationEngine.class);

    private final EngineConfig config;
    private final EngineLoop loop;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition room = lock.newCondition();
    /** Submitted, not yet handed to the loop; guarded by {@link #lock}. */
    private final List<Sequence> inbox = new ArrayList<>();
    /** Cancel requests, not yet handed to the loop; guarded by {@link #lock}. */
    private final List<String> cancels = new ArrayList<>();
    /** Every sequence not yet ended, by id: for the watchdog and for duplicates. */
    private final ConcurrentHashMap<String, Sequence> live = new ConcurrentHashMap<>();
    private final AtomicLong arrivals = new AtomicLong();
    private final Thread thread;
    private final Thread watchdog;
    private volatile boolean closed;
    private volatile String failure;
    /** When the current step began (nanos), or -1 between steps: what the watchdog looks at. */
    private volatile long stepStarted = -1;
    private volatile int waitingGauge;
    private volatile int runningGauge;
    private volatile long cacheBytesGauge;

    public GenerationEngine(DecoderModel model, TokenText tokens, EngineConfig config, GenerationListener deltas,
            EngineListener metrics) {
        this.config = config;
        this.loop = new EngineLoop(model, tokens, config, deltas, metrics, System::nanoTime,
                System::currentTimeMillis);
        this.thread = new Thread(this::run, "generation-" + config.name());
        this.thread.setDaemon(true);
        this.watchdog = new Thread(this::watch, "generation-" + config.name() + "-watchdog");
        this.watchdog.setDaemon(true);
        this.thread.start();
        this.watchdog.start();
    }

    public EngineConfig config() {
        return config;
    }

    /**
     * Queues a sequence; it joins the running batch at a step boundary. A request whose id is already running is
     * not run twice: the second gets the first's result.
     */
    public CompletableFuture<GenerationResult> submit(GenerationRequest request) {
        if (closed || failure != null) {
            throw new IllegalStateException("generation engine " + config.name() + " is "
                    + (failure != null ? "failed: " + failure : "closed"));
        }
        long seed = request.params().seed().orElseGet(() -> ThreadLocalRandom.current().nextLong());
        Sequence s = new Sequence(request, arrivals.incrementAndGet(), System.nanoTime(), seed);
        Sequence existing = live.putIfAbsent(request.id(), s);
        if (existing != null) {
            return existing.result.thenApply(r -> r);
        }
        s.result.whenComplete((r, e) -> live.remove(request.id(), s));
        lock.lock();
        try {
            inbox.add(s);
            work.signal();
        } finally {
            lock.unlock();
        }
        return s.result;
    }

    /** Ends the request with {@link FinishReason#CANCELLED} at the next step boundary; false when it is not here. */
    public boolean cancel(String id) {
        if (!live.containsKey(id)) {
            return false;
        }
        lock.lock();
        try {
            cancels.add(id);
            work.signal();
        } finally {
            lock.unlock();
        }
        return true;
    }

    /** Whether a request of this id is waiting or running here. */
    public boolean has(String id) {
        return live.containsKey(id);
    }

    /** Blocks while {@link EngineConfig#maxWaiting()} sequences wait for admission; room is made by the loop. */
    public void awaitRoom() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (!closed && failure == null && inbox.size() + waitingGauge >= config.maxWaiting()) {
                room.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Why the engine stopped serving (its watchdog fired, or its loop failed); null while it serves. */
    public String failure() {
        return failure;
    }

    public int waiting() {
        return waitingGauge + inboxSize();
    }

    public int running() {
        return runningGauge;
    }

    public long cacheBytes() {
        return cacheBytesGauge;
    }

    private int inboxSize() {
        lock.lock();
        try {
            return inbox.size();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        try {
            while (true) {
                List<Sequence> arrived;
                List<String> cancelled;
                lock.lock();
                try {
                    while (!closed && inbox.isEmpty() && cancels.isEmpty() && loop.idle()) {
                        waitingGauge = 0;
                        runningGauge = 0;
                        room.signalAll();
                        work.await();
                    }
                    if (closed || failure != null) {
                        break;
                    }
                    arrived = new ArrayList<>(inbox);
                    inbox.clear();
                    cancelled = new ArrayList<>(cancels);
                    cancels.clear();
                } finally {
                    lock.unlock();
                }
                for (Sequence s : arrived) {
                    loop.add(s);
                }
                for (String id : cancelled) {
                    loop.cancel(id, FinishReason.CANCELLED);
                }
                if (loop.idle()) {
                    continue;
                }
                stepStarted = System.nanoTime();
                loop.step();
                stepStarted = -1;
                if (failure != null) {
                    break; // the watchdog gave up on this step while it ran: its sequences were answered
                }
                publishGauges();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("The generation loop of {} failed", config.name(), e);
            fail("the generation loop failed: " + e);
        } finally {
            loop.close();
        }
    }

    private void publishGauges() {
        waitingGauge = loop.waitingCount();
        runningGauge = loop.runningCount() + loop.prefillingCount();
        cacheBytesGauge = loop.cacheBytes();
        if (waitingGauge < config.maxWaiting()) {
            lock.lock();
            try {
                room.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void watch() {
        long limit = config.watchdog().toNanos();
        long tick = Math.max(1, Math.min(1_000, config.watchdog().toMillis() / 4));
        while (!closed && failure == null) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            long started = stepStarted;
            if (started >= 0 && System.nanoTime() - started > limit) {
                fail("watchdog: a model call of " + config.name() + " did not return within " + config.watchdog()
                        + "; the engine stopped serving");
            }
        }
    }

    /** Stops serving: every sequence not yet ended ends with ERROR, naming why. */
    private void fail(String why) {
        if (failure != null) {
            return;
        }
        failure = why;
        LOG.error("Generation engine {}: {}", config.name(), why);
        long now = System.nanoTime();
        for (Sequence s : live.values()) {
            s.result.complete(new GenerationResult(s.id(), "", new int[0], s.request.prompt().length,
                    FinishReason.ERROR, why, -1, -1, now - s.submittedNanos));
        }
        lock.lock();
        try {
            work.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the loop; sequences not yet ended fail with a {@link java.util.concurrent.CancellationException}. */
    @Override
    public void close() {
        closed = true;
        lock.lock();
        try {
            work.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
        watchdog.interrupt();
        try {
            thread.join(config.watchdog().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("The generation loop of {} did not stop (a model call is stuck); leaving it", config.name());
        }
        for (Sequence s : inboxDrain()) {
            s.result.completeExceptionally(new java.util.concurrent.CancellationException("engine closed"));
        }
    }

    private List<Sequence> inboxDrain() {
        lock.lock();
        try {
            List<Sequence> out = new ArrayList<>(inbox);
            inbox.clear();
            return out;
        } finally {
            lock.unlock();
        }
    }
}
