package io.streaminfer.bridge.jobs;

import io.streaminfer.bridge.kafka.TokenRouter;
import io.streaminfer.bridge.kafka.TokenFollow;
import io.streaminfer.contract.TokenRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Finds a generation's token records on the token topic, as {@link ResultLookup} finds results: the partition follows
 * from the job ID (by key, or the sync call's reply partition it names), the offset from the job's accepted time
 * (Kafka's time index, with slack for clocks), and the replica's router reads from there; so any replica, also one
 * restarted since, can say what a job has generated so far, and stream it on ({@link #follow}). Lookups of one job
 * within {@value #SO_FAR_REUSE_MS} ms share one read: a client polling the status does not make the router re-read
 * the partition each time.
 *
 * <pre>{@code
 * lookup.soFar(job).thenAccept(t -> show(t.text(), t.last()));
 * }</pre>
 */
public final class TokenLookup implements AutoCloseable {
    /** How long a "so far" lookup may read before it answers with what it has. */
    static final long SO_FAR_LIMIT_MS = 10_000;
    /** A lookup's answer serves the lookups of the same job this long (clients that poll share one read). */
    static final long SO_FAR_REUSE_MS = 250;

    /** Null when no generative model is served. */
    private final TokenRouter router;
    private final long slackMs;
    private final Map<String, CompletableFuture<SoFar>> recent = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "token-lookup-timer");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param router the token topic's reader; null when no generative model is served
     * @param slackMs how far before a job's accepted time its records are looked for (clock differences)
     */
    public TokenLookup(TokenRouter router, long slackMs) {
        this.router = router;
        this.slackMs = slackMs;
    }

    /** Whether token records can be looked up at all (a generative model is served, the router runs). */
    public boolean available() {
        return router != null && router.partitions() > 0;
    }

    /** The token-topic partition of a job's records. */
    public int partitionOf(String jobId) {
        return JobIds.resultPartition(jobId, router.partitions());
    }

    /** Where on the token topic a job's records may start. */
    long fromMs(JobState job) {
        long accepted = job.acceptedAt > 0 ? job.acceptedAt : job.updatedAt > 0 ? job.updatedAt
                : System.currentTimeMillis();
        return Math.max(0, accepted - slackMs);
    }

    /**
     * Hands {@code listener} the job's records after {@code afterSeq}, from wherever they start on the topic, and
     * then live as they come.
     */
    public TokenFollow follow(JobState job, int afterSeq, TokenFollow.Listener listener) {
        return router.follow(job.id, partitionOf(job.id), fromMs(job), afterSeq, listener);
    }

    /** Token follows open now (streams, job events, text-so-far lookups). */
    public long follows() {
        return router == null ? 0 : router.open();
    }

    /** Token records handed to follows since the replica started. */
    public long delivered() {
        return router == null ? 0 : router.delivered();
    }

    /** Token records a follow found missing (expired by retention before it read them). */
    public long gaps() {
        return router == null ? 0 : router.gaps();
    }

    /** What a generation has published: its records' text joined, and its last record if it came. */
    public record SoFar(String text, int records, TokenRecord last, boolean complete) {
        static SoFar of(List<TokenRecord> seen, boolean complete) {
            StringBuilder b = new StringBuilder();
            seen.forEach(r -> b.append(r.text()));
            TokenRecord end = seen.isEmpty() ? null : seen.get(seen.size() - 1);
            return new SoFar(b.toString(), seen.size(), end != null && end.last() ? end : null, complete);
        }
    }

    /**
     * The job's text so far: every record committed now, read from the topic; {@code complete} false when reading
     * took longer than {@value #SO_FAR_LIMIT_MS} ms (then what was read).
     */
    public CompletableFuture<SoFar> soFar(JobState job) {
        CompletableFuture<SoFar> mine = new CompletableFuture<>();
        CompletableFuture<SoFar> shared = recent.putIfAbsent(job.id, mine);
        if (shared != null) {
            return shared;
        }
        read(job, mine);
        mine.whenComplete((ok, error) -> timer.schedule(() -> recent.remove(job.id, mine), SO_FAR_REUSE_MS,
                TimeUnit.MILLISECONDS));
        return mine;
    }

    private void read(JobState job, CompletableFuture<SoFar> out) {
        List<TokenRecord> seen = new ArrayList<>();
        TokenFollow[] follow = new TokenFollow[1];
        Runnable answer = () -> {
            synchronized (seen) {
                out.complete(SoFar.of(seen, true));
            }
        };
        follow[0] = follow(job, -1, new TokenFollow.Listener() {
            @Override
            public void onToken(TokenRecord record) {
                synchronized (seen) {
                    seen.add(record);
                }
                if (record.last()) {
                    answer.run();
                }
            }

            @Override
            public void onCaughtUp() {
                answer.run();
            }
        });
        follow[0].catchUp();
        timer.schedule(() -> {
            synchronized (seen) {
                out.complete(SoFar.of(seen, false));
            }
        }, SO_FAR_LIMIT_MS, TimeUnit.MILLISECONDS);
        out.whenComplete((ok, error) -> follow[0].close());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
