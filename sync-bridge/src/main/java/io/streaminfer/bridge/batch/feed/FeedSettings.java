package io.streaminfer.bridge.batch.feed;

/**
 * How batches are fed (the bridge config's {@code batches}).
 *
 * @param maxLineBytes a line's largest size (a request's: http.max-body-bytes)
 * @param maxLines a batch's most lines
 * @param checkpointIntervalMs how often a running batch's output is flushed and its progress published
 * @param resendAfterMs a line unanswered this long is sent again
 * @param cancelGraceMs how long a cancel waits for the lines sent before it gives them up
 * @param expiryGraceMs how long after its window a batch waits for lines sent before they count as expired (the job
 *     expires the ones still queued by their deadline, the window's end)
 */
public record FeedSettings(int maxLineBytes, int maxLines, long checkpointIntervalMs, long resendAfterMs,
        long cancelGraceMs, long expiryGraceMs) { }
