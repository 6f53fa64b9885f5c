package io.streaminfer.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.runtime.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java path for ASCII text against the native Hugging Face tokenizer, on MiniLM's real tokenizer.json: the same
 * ids and the same "truncated" for the real texts, for random ASCII that hits every branch (punctuation, case, long
 * and unknown words, line breaks and tabs, truncation in and between words), at several lengths; and the native
 * tokenizer for whatever the Java path does not take.
 */
class AsciiWordPieceTest {
    static Path file;
    static BoundedTokenizer tokenizer;
    static AsciiWordPiece ascii;

    @BeforeAll
    static void load() throws Exception {
        file = TestModels.modelsDir().resolve(TestModels.MINILM).resolve("1").resolve("tokenizer.json");
        tokenizer = new BoundedTokenizer(file, 256);
        ascii = AsciiWordPiece.load(file);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        AT.values().forEach(BoundedTokenizer::close);
    }

    private static void same(String text, int maxLength) {
        BoundedTokenizer.Tokens java = ascii.encode(text, maxLength);
        assertThat(java).as("taken by the Java path: %s", text).isNotNull();
        BoundedTokenizer.Tokens expected = maxLength == 256 ? tokenizer.nativeIds(text) : nativeAt(text, maxLength);
        assertThat(java.ids()).as("ids of %s", text).containsExactly(expected.ids());
        assertThat(java.truncated()).as("truncated: %s", text).isEqualTo(expected.truncated());
        assertThat(java.typeIds()).isNull();
    }

    private static final java.util.Map<Integer, BoundedTokenizer> AT = new java.util.HashMap<>();

    private static BoundedTokenizer.Tokens nativeAt(String text, int maxLength) {
        return AT.computeIfAbsent(maxLength, m -> {
            try {
                return new BoundedTokenizer(file, m);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).nativeIds(text);
    }

    @Test
    void theShippedTokenizerTakesTheJavaPath() {
        assertThat(ascii).isNotNull();
        assertThat(tokenizer.hasAsciiPath()).isTrue();
    }

    @Test
    void realTextsGiveTheNativeIds() {
        int taken = 0;
        for (String text : TestModels.realTexts()) {
            if (ascii.encode(text, 256) != null) {
                same(text, 256);
                taken++;
            }
        }
        assertThat(taken).as("real texts on the Java path").isGreaterThan(2_000);
    }

    @Test
    void randomAsciiGivesTheNativeIdsAtEveryLength() {
        SplittableRandom random = new SplittableRandom(23);
        String[] words = {"the", "The", "THE", "running", "unaffable", "embeddings", "tokenizer", "x", "zz", "qqqq",
            "don't", "U.S.A.", "e-mail", "3.14", "1,000,000", "##", "##ing", "a##b", "hello", "World", "naive",
            "supercalifragilisticexpialidocious", "0", "42nd", "C++", "#hashtag", "@user",
            "http://example.com/a?b=c&d=e", "___", "...", "!?", "$5", "100%", "(parens)", "{braces}", "\"quoted\"",
            "back`tick", "tilde~", "pipe|", "semi;colon", "a:b", "<tag>", "x^2", "under_score", "slash/back\\slash"};
        for (int t = 0; t < 3_000; t++) {
            StringBuilder text = new StringBuilder();
            int n = random.nextInt(0, 60);
            for (int w = 0; w < n; w++) {
                int kind = random.nextInt(10);
                if (kind < 6) {
                    text.append(words[random.nextInt(words.length)]);
                } else if (kind < 8) {
                    for (int c = random.nextInt(1, 12); c > 0; c--) {
                        text.append((char) random.nextInt(' ' + 1, '~' + 1));
                    }
                } else if (kind == 8) {
                    text.append("a".repeat(random.nextInt(95, 106))); // around the longest word read
                } else {
                    text.append(Character.toString(random.nextInt('A', 'Z' + 1)).repeat(random.nextInt(1, 30)));
                }
                text.append(" \t\n\r  ".charAt(random.nextInt(6)));
            }
            String s = text.toString().replace("[", "");
            same(s, 256);
            same(s, 2 + random.nextInt(0, 40)); // cut in words and between them
        }
    }

    @Test
    void edgesGiveTheNativeIds() {
        for (String s : List.of("", " ", "\n\t\r", "a", "A", ".", "a.", ".a", "a".repeat(100), "a".repeat(101),
                "ab".repeat(60), "hello world", "  leading and trailing  ", "tab\tseparated\nlines\r\nend")) {
            for (int max : new int[] {2, 3, 4, 5, 256}) {
                same(s, max);
            }
        }
    }

    @Test
    void whatTheJavaPathLeavesAloneGoesToTheNativeTokenizer() {
        for (String s : List.of("naïve café", "price in € and £", "[MASK] token", "a [SEP] b", "bell\u0007char",
                "vertical\u000btab", "form\u000cfeed", "del\u007f", "nul\u0000", "日本語", "emoji 😀")) {
            assertThat(ascii.encode(s, 256)).as(s).isNull();
            assertThat(tokenizer.encode(s).ids()).as(s).containsExactly(tokenizer.nativeIds(s).ids());
        }
    }

    @Test
    void aTokenizerOfAnotherShapeHasNoJavaPath(@TempDir Path dir) throws Exception {
        String json = Files.readString(file);
        List<String> variants = new ArrayList<>();
        variants.add(json.replace("\"lowercase\": true", "\"lowercase\": false")
                .replace("\"lowercase\":true", "\"lowercase\":false"));
        variants.add(json.replace("\"BertPreTokenizer\"", "\"Whitespace\""));
        variants.add(json.replace("\"WordPiece\"", "\"BPE\""));
        variants.add("not json");
        for (int i = 0; i < variants.size(); i++) {
            assertThat(variants.get(i)).as("variant %d changes the file", i).isNotEqualTo(json);
            Path f = dir.resolve("tokenizer-" + i + ".json");
            Files.writeString(f, variants.get(i));
            assertThat(AsciiWordPiece.load(f)).as("variant %d", i).isNull();
        }
    }
}
