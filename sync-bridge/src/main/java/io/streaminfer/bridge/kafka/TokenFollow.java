package io.streaminfer.bridge.kafka;

import io.streaminfer.contract.TokenRecord;

/**
 * One reader of one request's token records ({@link ReplyRouter#follow}): its listener gets each record once, in
 * sequence order from {@code afterSeq + 1} on, on the router's thread (hand work off, never block). Records read
 * twice (after a seek back for another follow of the same partition) are dropped here by their sequence number.
 *
 * <pre>{@code
 * TokenFollow f = router.follow(jobId, acceptedAt - slack, -1, listener);
 * f.catchUp();   // listener.onCaughtUp() once everything committed up to now has been delivered
 * f.close();     // no more records; a partition no follow needs any longer is given up
 * }</pre>
 */
public final class TokenFollow implements AutoCloseable {
    /** What a follow hands on. */
    public interface Listener {
        /** The next record of the request, in order, once. */
        void onToken(TokenRecord record);

        /** Every record committed when {@link #catchUp()} was called has been handed on. */
        default void onCaughtUp() {
        }
    }

    final String jobId;
    final int partition;
    /** Where to start reading: a time (epoch ms) on the token topic; -1: what this replica reads next. */
    final long fromMs;
    final Listener listener;
    private final TokenFollows owner;
    /** Router thread only. */
    int nextSeq;
    boolean started;
    long catchUpAt = -1;
    private volatile boolean closed;

    TokenFollow(TokenFollows owner, String jobId, int partition, long fromMs, int afterSeq, Listener listener) {
        this.owner = owner;
        this.jobId = jobId;
        this.partition = partition;
        this.fromMs = fromMs;
        this.nextSeq = afterSeq + 1;
        this.listener = listener;
    }

    /** Asks for {@link Listener#onCaughtUp()} once every record committed now has been read and handed on. */
    public void catchUp() {
        owner.requestCatchUp(this);
    }

    public String jobId() {
        return jobId;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            owner.closed(this);
        }
    }
}
