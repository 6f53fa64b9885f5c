package io.streaminfer.generation.internal;

import io.streaminfer.generation.DecoderModel;
import io.streaminfer.generation.EngineConfig;
import io.streaminfer.generation.EngineListener;
import io.streaminfer.generation.FinishReason;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.generation.SamplingParams;
import io.streaminfer.generation.TokenDelta;
import io.streaminfer.generation.TokenText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine's sequences and the step that advances them, as TGI's router and vLLM's scheduler do it: at each step
 * boundary ended sequences leave and waiting ones are admitted (within {@code maxRunning} and the key/value
 * reservation); then every running sequence decodes one token in one model call, and the step's remaining token
 * budget runs prompt chunks of admitted sequences, which join the running batch once their prompt is in. So a new
 * request starts at the next step, never waits for the longest running one, and a long prompt holds the running
 * ones up by at most one chunk of {@code stepTokens} per step.
 *
 * <p>Confined to one thread (the engine's loop, or a test). A model failure in a batched step is retried row by row,
 * so only the sequences the model fails on end with {@link FinishReason#ERROR}.
 */
public final class EngineLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineLoop.class);

    private final DecoderModel model;
    private final TokenText tokens;
    private final EngineConfig config;
    private final GenerationListener deltas;
    private final EngineListener metrics;
    private final LongSupplier nanos;
    private final LongSupplier millis;
    private final Sampler sampler;
    private final KvReservation reservation;
    private final int vocabulary;
    private final int contextLength;

    private final WaitingQueue waiting = new WaitingQueue();
    /** Admitted, their prompt not all in their cache yet; in admission order. */
    private final List<Sequence> prefilling = new ArrayList<>();
    /** The running batch, row r of {@link #batch} being element r. */
    private final List<Sequence> running = new ArrayList<>();
    private final DecoderModel.Cache batch;
    /** Sequences that got a token or ended this step: their deltas go out at its end. */
    private final List<Sequence> touched = new ArrayList<>();
    private final List<Sequence> ended = new ArrayList<>();
    private long steps;

    public EngineLoop(DecoderModel model, TokenText tokens, EngineConfig config, GenerationListener deltas,
            EngineListener metrics, LongSupplier nanos, LongSupplier millis) {
        this.model = model;
        this.tokens = tokens;
        this.config = config;
        this.deltas = deltas;
        this.metrics = metrics;
        this.nanos = nanos;
        this.millis = millis;
        this.vocabulary = model.vocabularySize();
        this.contextLength = model.contextLength();
        List<Integer> eos = new ArrayList<>();
        for (int t = 0; t < Math.min(vocabulary, tokens.size()); t++) {
            if (tokens.endsSequence(t)) {
                eos.add(t);
            }
        }
        this.sampler = new Sampler(vocabulary, eos.stream().mapToInt(Integer::intValue).toArray());
        this.reservation = new KvReservation(config.kvCacheBytes(), model);
        if (reservation.singleContextBytes() > config.kvCacheBytes()) {
            LOG.warn("{}: the key/value budget ({} bytes) is below what one sequence of the full context needs ({} "
                    + "bytes): long sequences run one at a time", config.name(), config.kvCacheBytes(),
                    reservation.singleContextBytes());
        }
        this.batch = model.newCache();
    }

    /** Queues a submitted sequence; it is admitted at a step boundary. */
    public void add(Sequence s) {
        int[] resumed = s.request.resume().tokens();
        for (int t : resumed) {
            if (!tokens.endsSequence(t)) {
                s.text.add(tokens.bytes(t));
            }
        }
        s.skipPublished(); // its readers have this text already
        if (resumed.length >= s.request.params().maxTokens()) {
            end(s, FinishReason.LENGTH, null);
            flush();
            return;
        }
        waiting.add(s);
    }

    /** Ends a sequence wherever it is (waiting, prefilling, running) at this step boundary; false when unknown. */
    public boolean cancel(String id, FinishReason reason) {
        Sequence s = find(id);
        if (s == null) {
            return false;
        }
        end(s, reason, null);
        return true;
    }

    /** Whether there is nothing to run. */
    public boolean idle() {
        return waiting.isEmpty() && prefilling.isEmpty() && running.isEmpty();
    }

    public int waitingCount() {
        return waiting.size();
    }

    public int runningCount() {
        return running.size();
    }

    public int prefillingCount() {
        return prefilling.size();
    }

    /** Key/value cache held now, padding included. */
    public long cacheBytes() {
        long b = batch.bytes();
        for (Sequence s : prefilling) {
            if (s.cache != null) {
                b += s.cache.bytes();
            }
        }
        return b;
    }

    public long steps() {
        return steps;
    }

    /** One step: deadlines and admissions, one decoding call for the running batch, prompt chunks, deltas. */
    public void step() {
        steps++;
        long nowMillis = millis.getAsLong();
        expire(nowMillis);
        compact();
        admit();
        int budget = config.stepTokens();
        int decoded = 0;
        long decodeNanos = 0;
        if (!running.isEmpty()) {
            long start = nanos.getAsLong();
            decoded = decode();
            decodeNanos = nanos.getAsLong() - start;
            budget -= decoded;
        }
        int prefillTokens = 0;
        long prefillNanos = 0;
        if (!prefilling.isEmpty()) {
            long start = nanos.getAsLong();
            prefillTokens = prefill(Math.max(budget, config.minPrefillTokens()));
            prefillNanos = nanos.getAsLong() - start;
        }
        metrics.onStep(decoded, decodeNanos, prefillTokens, prefillNanos);
        flush();
        compact();
    }

    /** Ends every sequence: the engine is closing. Their futures fail, so their host re-runs them on a restore. */
    @Override
    public void close() {
        List<Sequence> all = new ArrayList<>(running);
        all.addAll(prefilling);
        all.addAll(waiting.removeIf(s -> true));
        running.clear();
        prefilling.clear();
        for (Sequence s : all) {
            if (s.cache != null) {
                s.cache.close();
                s.cache = null;
            }
            s.result.completeExceptionally(new CancellationException("the generation engine " + config.name()
                    + " closed"));
        }
        batch.close();
    }

    private Sequence find(String id) {
        for (Sequence s : running) {
            if (s.id().equals(id) && !s.finished()) {
                return s;
            }
        }
        for (Sequence s : prefilling) {
            if (s.id().equals(id)) {
                return s;
            }
        }
        List<Sequence> w = waiting.removeIf(s -> s.id().equals(id));
        return w.isEmpty() ? null : w.get(0);
    }

    private void expire(long nowMillis) {
        for (Sequence s : waiting.removeIf(s -> nowMillis > s.request.deadlineMs())) {
            end(s, FinishReason.EXPIRED, null);
        }
        for (Sequence s : new ArrayList<>(prefilling)) {
            if (nowMillis > s.request.deadlineMs()) {
                end(s, FinishReason.EXPIRED, null);
            }
        }
        for (Sequence s : running) {
            if (!s.finished() && nowMillis > s.request.deadlineMs()) {
                end(s, FinishReason.EXPIRED, null);
            }
        }
    }

    /** Takes ended rows out of the running batch. */
    private void compact() {
        int kept = 0;
        for (Sequence s : running) {
            if (!s.finished()) {
                kept++;
            }
        }
        if (kept == running.size()) {
            return;
        }
        int[] rows = new int[kept];
        List<Sequence> still = new ArrayList<>(kept);
        for (int r = 0, k = 0; r < running.size(); r++) {
            if (!running.get(r).finished()) {
                rows[k++] = r;
                still.add(running.get(r));
            }
        }
        model.retain(batch, rows);
        running.clear();
        running.addAll(still);
    }

    private void admit() {
        long now = nanos.getAsLong();
        List<Sequence> admitted = new ArrayList<>(running);
        admitted.addAll(prefilling);
        while (!waiting.isEmpty() && admitted.size() < config.maxRunning()) {
            Sequence head = waiting.peek();
            if (!reservation.fits(admitted, head)) {
                break; // the head waits for room, and nothing overtakes it
            }
            waiting.poll();
            head.admittedNanos = now;
            head.cache = model.newCache();
            prefilling.add(head);
            admitted.add(head);
            metrics.onAdmitted(now - head.submittedNanos);
        }
    }

    /** One token for every running row; returns how many rows ran. */
    private int decode() {
        int rows = running.size();
        int[] feed = new int[rows];
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            Sequence s = running.get(r);
            feed[r] = s.lastToken;
            positions[r] = s.position;
        }
        float[] logits;
        try {
            logits = model.step(batch, feed, positions);
        } catch (RuntimeException e) {
            logits = decodeRowByRow(feed, positions, e);
        }
        long now = nanos.getAsLong();
        for (int r = 0; r < running.size(); r++) {
            Sequence s = running.get(r);
            if (s.finished()) {
                continue; // failed when run alone
            }
            s.position++;
            accept(s, logits, r * vocabulary, now);
        }
        return rows;
    }

    /**
     * After a batched step failed: each row alone, so that only the rows the model fails on end with an error. The
     * rows that ran are the new batch; the failed ones are ended and dropped. Returns logits aligned with {@link
     * #running} as it is afterwards.
     */
    private float[] decodeRowByRow(int[] feed, int[] positions, RuntimeException batchError) {
        LOG.warn("{}: a decoding step of {} sequences failed ({}); running them one by one", config.name(),
                running.size(), rootMessage(batchError));
        List<Sequence> kept = new ArrayList<>();
        List<float[]> keptLogits = new ArrayList<>();
        List<DecoderModel.Cache> singles = new ArrayList<>();
        for (int r = 0; r < running.size(); r++) {
            Sequence s = running.get(r);
            DecoderModel.Cache single = model.copyRow(batch, r);
            try {
                keptLogits.add(model.step(single, new int[] {feed[r]}, new int[] {positions[r]}));
                singles.add(single);
                kept.add(s);
            } catch (RuntimeException e) {
                single.close();
                LOG.warn("{}: request {} fails alone in the model: {}", config.name(), s.id(), rootMessage(e));
                end(s, FinishReason.ERROR, "the model failed on this sequence: " + rootMessage(e));
            }
        }
        model.retain(batch, new int[0]);
        model.join(batch, singles);
        for (DecoderModel.Cache single : singles) {
            single.close();
        }
        running.clear();
        running.addAll(kept);
        float[] logits = new float[kept.size() * vocabulary];
        for (int r = 0; r < kept.size(); r++) {
            System.arraycopy(keptLogits.get(r), 0, logits, r * vocabulary, vocabulary);
        }
        return logits;
    }

    /** Runs prompt chunks within {@code budget} tokens, oldest admission first; returns the tokens run. */
    private int prefill(int budget) {
        int ran = 0;
        List<Sequence> joining = new ArrayList<>();
        for (Iterator<Sequence> it = prefilling.iterator(); it.hasNext() && budget > 0; ) {
            Sequence s = it.next();
            int n = Math.min(s.context.length - s.prefilled, budget);
            int[] chunk = Arrays.copyOfRange(s.context, s.prefilled, s.prefilled + n);
            float[] logits;
            try {
                logits = model.extend(s.cache, chunk, s.prefilled);
            } catch (RuntimeException e) {
                it.remove();
                LOG.warn("{}: request {} fails alone in its prefill: {}", config.name(), s.id(), rootMessage(e));
                end(s, FinishReason.ERROR, "the model failed on this prompt: " + rootMessage(e));
                continue;
            }
            s.prefilled += n;
            budget -= n;
            ran += n;
            if (s.prefilled == s.context.length) {
                it.remove();
                s.position = s.context.length;
                accept(s, logits, 0, nanos.getAsLong());
                if (s.finished()) {
                    s.cache.close();
                    s.cache = null;
                } else {
                    joining.add(s);
                }
            }
        }
        if (!joining.isEmpty()) {
            // All of this step's newcomers in one join: a join copies the whole batch once.
            List<DecoderModel.Cache> caches = new ArrayList<>(joining.size());
            for (Sequence s : joining) {
                caches.add(s.cache);
            }
            model.join(batch, caches);
            for (Sequence s : joining) {
                s.cache.close();
                s.cache = null;
                running.add(s);
            }
        }
        return ran;
    }

    /** Samples the sequence's next token from its logits and decides whether it ends there. */
    private void accept(Sequence s, float[] logits, int offset, long now) {
        SamplingParams p = s.request.params();
        boolean mayEnd = s.completionLength() >= p.minTokens();
        int token = sampler.pick(logits, offset, p, s.seed, s.completionLength(), mayEnd);
        if (token < 0) {
            end(s, FinishReason.ERROR, "the model's logits for this sequence are not numbers (NaN)");
            return;
        }
        if (s.firstTokenNanos < 0) {
            s.firstTokenNanos = now;
            metrics.onFirstToken(now - s.submittedNanos);
        } else {
            metrics.onNextToken(now - s.lastTokenNanos);
        }
        s.lastTokenNanos = now;
        s.addToken(token);
        s.lastToken = token;
        touch(s);
        if (tokens.endsSequence(token) && !p.ignoreEos()) {
            end(s, FinishReason.STOP, null);
        } else if (s.text.add(tokens.endsSequence(token) ? new byte[0] : tokens.bytes(token))) {
            end(s, FinishReason.STOP, null);
        } else if (s.completionLength() >= p.maxTokens() || s.position >= contextLength) {
            end(s, FinishReason.LENGTH, null); // no room for another token, or none asked for
        }
    }

    private void end(Sequence s, FinishReason reason, String error) {
        if (s.finished()) {
            return;
        }
        s.finish = reason;
        s.error = error;
        if (!s.text.stopped()) {
            s.text.finish();
        }
        if (prefilling.remove(s) && s.cache != null) {
            s.cache.close();
            s.cache = null;
        }
        touch(s);
        ended.add(s);
    }

    private void touch(Sequence s) {
        if (!s.touched) {
            s.touched = true;
            touched.add(s);
        }
    }

    /** Hands out this step's deltas, then completes the sequences that ended (a delta precedes its result). */
    private void flush() {
        if (!touched.isEmpty()) {
            List<TokenDelta> out = new ArrayList<>(touched.size());
            for (Sequence s : touched) {
                s.touched = false;
                TokenDelta d = s.delta();
                if (d != null) {
                    out.add(d);
                }
            }
            touched.clear();
            if (!out.isEmpty()) {
                try {
                    deltas.onStep(out);
                } catch (RuntimeException e) {
                    LOG.error("{}: the delta listener failed on a step of {} deltas", config.name(), out.size(), e);
                }
            }
        }
        if (!ended.isEmpty()) {
            long now = nanos.getAsLong();
            for (Sequence s : ended) {
                metrics.onFinished(s.finish, s.request.prompt().length, s.completionLength());
                s.result.complete(s.toResult(now));
            }
            ended.clear();
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
