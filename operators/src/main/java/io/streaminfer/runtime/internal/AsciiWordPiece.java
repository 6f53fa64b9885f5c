package io.streaminfer.runtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * BERT's uncased WordPiece in Java, for plain ASCII text: the ids the Hugging Face tokenizer gives (BertNormalizer
 * lowercasing, BertPreTokenizer, WordPiece, then {@code [CLS] $A [SEP]}), for a tokenizer.json of exactly that
 * shape. Why: the native tokenizer costs ~1.5-2 µs a word here (40-60 µs for a 25-word text, most of the parse
 * thread's time with a GPU), this a fraction of it.
 *
 * <p>Only what needs no Unicode tables takes this path: printable ASCII, spaces, tabs and line breaks, and no
 * {@code '['} (the native tokenizer matches special tokens such as {@code [MASK]} in the raw text). For any other
 * text {@link #encode} returns null and the native tokenizer runs, so the ids never differ; a test holds both to
 * the same ids over the real texts and random ASCII.
 */
final class AsciiWordPiece {
    private final Map<String, Integer> vocab;
    private final int unk;
    private final int cls;
    private final int sep;
    private final String prefix;
    private final int maxCharsPerWord;

    private AsciiWordPiece(Map<String, Integer> vocab, int unk, int cls, int sep, String prefix,
            int maxCharsPerWord) {
        this.vocab = vocab;
        this.unk = unk;
        this.cls = cls;
        this.sep = sep;
        this.prefix = prefix;
        this.maxCharsPerWord = maxCharsPerWord;
    }

    /** This tokenizer for {@code file}, or null when the file is not an uncased BERT WordPiece it can match. */
    static AsciiWordPiece load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            return null; // the native tokenizer reports what is wrong with the file
        }
        JsonNode normalizer = root.path("normalizer");
        JsonNode model = root.path("model");
        boolean bert = "BertNormalizer".equals(normalizer.path("type").asText())
                && normalizer.path("clean_text").asBoolean(false)
                && normalizer.path("lowercase").asBoolean(false)
                && "BertPreTokenizer".equals(root.path("pre_tokenizer").path("type").asText())
                && "WordPiece".equals(model.path("type").asText())
                && model.path("vocab").isObject()
                && singleTemplateIsClsASep(root.path("post_processor"));
        if (!bert) {
            return null;
        }
        Map<String, Integer> vocab = new HashMap<>(model.path("vocab").size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        Integer unk = vocab.get(model.path("unk_token").asText("[UNK]"));
        Integer cls = vocab.get("[CLS]");
        Integer sep = vocab.get("[SEP]");
        if (unk == null || cls == null || sep == null) {
            return null;
        }
        return new AsciiWordPiece(vocab, unk, cls, sep, model.path("continuing_subword_prefix").asText("##"),
                model.path("max_input_chars_per_word").asInt(100));
    }

    private static boolean singleTemplateIsClsASep(JsonNode post) {
        JsonNode single = post.path("single");
        return "TemplateProcessing".equals(post.path("type").asText()) && single.size() == 3
                && "[CLS]".equals(single.get(0).path("SpecialToken").path("id").asText())
                && "A".equals(single.get(1).path("Sequence").path("id").asText())
                && "[SEP]".equals(single.get(2).path("SpecialToken").path("id").asText());
    }

    /**
     * The ids of {@code text} with {@code [CLS]} and {@code [SEP]}, at most {@code maxLength} of them, and whether
     * that cut it; null when the text is not plain ASCII (see the class comment).
     */
    BoundedTokenizer.Tokens encode(String text, int maxLength) {
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c > '~' || (c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == '[') {
                return null;
            }
        }
        int room = Math.max(0, maxLength - 2);
        // Every piece takes at least one character: no more ids than characters, besides [CLS] and [SEP].
        long[] ids = new long[Math.min(room, n) + 2];
        int limit = 1 + room;
        int count = 0;
        ids[count++] = cls;
        StringBuilder word = new StringBuilder(32);
        boolean truncated = false;
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (isSpace(c)) {
                i++;
                continue;
            }
            word.setLength(0);
            if (isPunctuation(c)) {
                word.append(c); // each punctuation mark is a word of its own
                i++;
            } else {
                for (; i < n && !isSpace(c = text.charAt(i)) && !isPunctuation(c); i++) {
                    word.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
                }
            }
            count = pieces(word, ids, count, limit);
            if (count < 0) {
                count = -count; // cut inside this word or before it, as the native tokenizer cuts
                truncated = true;
                break;
            }
        }
        ids[count++] = sep;
        return new BoundedTokenizer.Tokens(count == ids.length ? ids : Arrays.copyOf(ids, count), null, truncated);
    }

    /**
     * Appends the word's pieces at {@code ids[count]}, greedy longest match first, no further than {@code limit};
     * returns the new count, or minus it when the word did not fit whole. A word with a part outside the vocabulary,
     * or longer than the model reads, is one {@code [UNK]}.
     */
    private int pieces(CharSequence word, long[] ids, int count, int limit) {
        int len = word.length();
        if (len > maxCharsPerWord) {
            return put(ids, count, limit, unk);
        }
        long[] found = new long[len];
        int pieces = 0;
        int start = 0;
        while (start < len) {
            Integer id = null;
            int end = len;
            for (; end > start; end--) {
                String piece = start == 0 ? word.subSequence(0, end).toString()
                        : prefix + word.subSequence(start, end);
                id = vocab.get(piece);
                if (id != null) {
                    break;
                }
            }
            if (id == null) {
                return put(ids, count, limit, unk);
            }
            found[pieces++] = id;
            start = end;
        }
        for (int p = 0; p < pieces; p++) {
            count = put(ids, count, limit, found[p]);
            if (count < 0) {
                return count;
            }
        }
        return count;
    }

    private static int put(long[] ids, int count, int limit, long id) {
        if (count >= limit) {
            return -count;
        }
        ids[count] = id;
        return count + 1;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    /** ASCII punctuation as BERT splits it: every printable that is neither letter, digit nor space. */
    private static boolean isPunctuation(char c) {
        return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~';
    }
}
