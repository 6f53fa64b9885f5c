package io.streaminfer.generation.internal;

import io.streaminfer.generation.DecoderModel;
import io.streaminfer.generation.FinishReason;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.generation.GenerationResult;
import io.streaminfer.generation.TokenDelta;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/** One sequence in the engine, from submission to its result. Confined to the engine's thread once submitted. */
public final class Sequence {
    public final GenerationRequest request;
    public final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    public final long arrival;
    public final long submittedNanos;
    public final long seed;
    /** The prompt, then what a failover found published: all of it is prefilled, none of it sampled. */
    final int[] context;
    final TextAssembler text;
    private int[] completion;
    private int completionLength;
    /** Tokens since the last delta: they go with the next one. */
    private int[] pending = new int[8];
    private int pendingLength;
    private int nextSeq;
    /** Of {@link #context}, how many tokens its cache holds. */
    int prefilled;
    /** Tokens in its cache: the position the next token is fed at. */
    int position;
    int lastToken = -1;
    DecoderModel.Cache cache;
    long admittedNanos = -1;
    long firstTokenNanos = -1;
    long lastTokenNanos;
    FinishReason finish;
    String error;
    /** Whether it is in this step's list of sequences to send deltas for. */
    boolean touched;

    public Sequence(GenerationRequest request, long arrival, long submittedNanos, long seed) {
        this.request = request;
        this.arrival = arrival;
        this.submittedNanos = submittedNanos;
        this.seed = seed;
        int[] prompt = request.prompt();
        int[] resumed = request.resume().tokens();
        this.context = Arrays.copyOf(prompt, prompt.length + resumed.length);
        System.arraycopy(resumed, 0, context, prompt.length, resumed.length);
        this.completion = Arrays.copyOf(resumed, Math.max(16, resumed.length + 16));
        this.completionLength = resumed.length;
        this.nextSeq = request.resume().nextSeq();
        this.text = new TextAssembler(request.params().stop());
    }

    public String id() {
        return request.id();
    }

    int completionLength() {
        return completionLength;
    }

    /** The most positions this sequence can reach: its context plus what it may still generate, within the model's. */
    int finalLength(int contextLength) {
        long longest = (long) request.prompt().length + request.params().maxTokens();
        return (int) Math.min(contextLength, longest);
    }

    boolean finished() {
        return finish != null;
    }

    void addToken(int token) {
        if (completionLength == completion.length) {
            completion = Arrays.copyOf(completion, completion.length * 2);
        }
        completion[completionLength++] = token;
        if (pendingLength == pending.length) {
            pending = Arrays.copyOf(pending, pending.length * 2);
        }
        pending[pendingLength++] = token;
    }

    /** The delta this step makes readable, or null when there is none to send. */
    TokenDelta delta() {
        if (!request.stream()) {
            return null;
        }
        String t = text.take();
        if (t.isEmpty() && finish == null) {
            return null; // tokens whose text is held back go with the next delta
        }
        TokenDelta d = new TokenDelta(id(), nextSeq++, t, Arrays.copyOf(pending, pendingLength), finish,
                request.prompt().length, completionLength);
        pendingLength = 0;
        return d;
    }

    /** Forgets what the resumed prefix's text made readable: it was published before the failover. */
    void skipPublished() {
        text.take();
        pendingLength = 0;
    }

    GenerationResult toResult(long nowNanos) {
        return new GenerationResult(id(), text.text(), Arrays.copyOf(completion, completionLength),
                request.prompt().length, finish, error,
                admittedNanos < 0 ? nowNanos - submittedNanos : admittedNanos - submittedNanos,
                firstTokenNanos < 0 ? -1 : firstTokenNanos - submittedNanos, nowNanos - submittedNanos);
    }

    @Override
    public String toString() {
        return "Sequence{" + id() + ", " + completionLength + " tokens" + (finish == null ? "" : ", " + finish) + "}";
    }
}
