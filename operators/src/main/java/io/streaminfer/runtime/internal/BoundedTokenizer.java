package io.streaminfer.runtime.internal;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A tokenizer that never reads more of a text than the model can use, and is never used by two threads at once.
 *
 * <p>A text is first cut to a character budget ({@code maxLength × 8} characters, at the last whitespace before it)
 * and tokenized; if the cut text already gives more than {@code maxLength} tokens, its tokens are the ones the whole
 * text would give, since only whole words were kept; if not, the budget grows fourfold and it tries again. So a 4 MB
 * text costs about what a text of {@code maxLength} tokens costs, and the tokenizer's native code never sees
 * megabytes. (A cut without whitespace may change the last kept word of a text that has none.)
 */
final class BoundedTokenizer implements AutoCloseable {
    /** English runs at 4 to 5 characters per token; 8 leaves room for most texts to need one pass. */
    static final int CHARS_PER_TOKEN = 8;

    /** A row's tokens; {@code typeIds} null: all zero, as for any single-segment text. */
    record Tokens(long[] ids, long[] typeIds, boolean truncated) {
    }

    private final HuggingFaceTokenizer tokenizer;
    /** The same ids for plain ASCII text, without the native call; null when the file is not BERT's WordPiece. */
    private final AsciiWordPiece ascii;
    private final int maxLength;

    BoundedTokenizer(Path file, int maxLength) throws IOException {
        this.maxLength = maxLength;
        // Padding is ours (to a call's longest row); truncation at the configured length, not the file's.
        this.tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(file)
                .optTruncation(true)
                .optPadding(false)
                .optMaxLength(maxLength)
                .build();
        this.ascii = AsciiWordPiece.load(file);
    }

    /** Tokenizes {@code text}, truncated to {@code maxLength} tokens; {@link Tokens#truncated()} says if it was. */
    synchronized Tokens encode(String text) {
        long budget = (long) maxLength * CHARS_PER_TOKEN;
        while (true) {
            String cut = cut(text, budget);
            Tokens t = ids(cut);
            if (cut.length() == text.length() || t.truncated()) {
                return t;
            }
            budget *= 4;
        }
    }

    /**
     * The ids of one single-segment text, and whether truncation cut it: plain ASCII for a BERT WordPiece file in
     * Java ({@link AsciiWordPiece}, the same ids), anything else by the native library. A single segment's type ids
     * are all zero.
     */
    private Tokens ids(String text) {
        Tokens fast = ascii == null ? null : ascii.encode(text, maxLength);
        if (fast != null) {
            return fast;
        }
        return nativeIds(text);
    }

    /**
     * {@link #ids} by the native tokenizer alone. Straight through the native library: the full {@link Encoding}
     * also builds every token's string and character span (nine native calls and an object per token), which the
     * model never needs.
     */
    Tokens nativeIds(String text) {
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, true);
        try {
            return new Tokens(TokenizersLibrary.LIB.getTokenIds(encoding), null,
                    TokenizersLibrary.LIB.getOverflowCount(encoding) > 0);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /** The text up to {@code budget} characters, ending at the last whitespace before the cut when there is one. */
    static String cut(String text, long budget) {
        if (text.length() <= budget) {
            return text;
        }
        int end = (int) budget;
        for (int i = end; i > end / 2; i--) {
            if (Character.isWhitespace(text.charAt(i))) {
                return text.substring(0, i);
            }
        }
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never split a surrogate pair
        }
        return text.substring(0, end);
    }

    /** Whether plain ASCII text skips the native tokenizer ({@link AsciiWordPiece}). */
    boolean hasAsciiPath() {
        return ascii != null;
    }

    int maxLength() {
        return maxLength;
    }

    @Override
    public synchronized void close() {
        tokenizer.close();
    }
}
