package io.streaminfer.runtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.generation.TokenText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bytes behind each token of a byte-level BPE {@code tokenizer.json} (the GPT-2 family's: its vocabulary spells
 * every byte as one printable character). Text is assembled from these bytes, so a character whose UTF-8 bytes are
 * split across tokens comes out whole, and nothing goes through the native tokenizer per generated token. Special
 * tokens (end of sequence, and any other {@code added_tokens} marked special) stand for no text.
 */
public final class ByteLevelTokens implements TokenText {
    private final byte[][] bytes;
    private final boolean[] endsSequence;

    private ByteLevelTokens(byte[][] bytes, boolean[] endsSequence) {
        this.bytes = bytes;
        this.endsSequence = endsSequence;
    }

    /**
     * Reads {@code file}.
     *
     * @param endOfSequence the ids that end a sequence ({@code generation.end_of_sequence})
     * @throws IllegalArgumentException when the file is not a byte-level BPE tokenizer, naming what it is
     */
    public static ByteLevelTokens load(Path file, List<Integer> endOfSequence) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode decoder = root.path("decoder");
        String decoderType = decoder.path("type").asText("");
        boolean byteLevel = decoderType.equals("ByteLevel") || sequenceHas(decoder, "ByteLevel");
        JsonNode vocab = root.path("model").path("vocab");
        if (!byteLevel || !vocab.isObject()) {
            throw new IllegalArgumentException(file + " is not a byte-level BPE tokenizer (decoder '" + decoderType
                    + "'); generative models need a GPT-2-family tokenizer.json");
        }
        Map<Character, Integer> byteOf = unicodeToByte();
        Map<Integer, byte[]> byId = new HashMap<>();
        int size = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt();
            byId.put(id, spell(e.getKey(), byteOf));
            size = Math.max(size, id + 1);
        }
        Set<Integer> special = new HashSet<>();
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            size = Math.max(size, id + 1);
            if (t.path("special").asBoolean(false)) {
                special.add(id);
            } else {
                byId.put(id, t.path("content").asText().getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[][] bytes = new byte[size][];
        boolean[] ends = new boolean[size];
        for (int id = 0; id < size; id++) {
            byte[] b = byId.get(id);
            bytes[id] = special.contains(id) || b == null ? new byte[0] : b;
        }
        for (int id : endOfSequence) {
            if (id >= size) {
                throw new IllegalArgumentException("end_of_sequence id " + id + " is not in " + file + " (" + size
                        + " tokens)");
            }
            ends[id] = true;
        }
        return new ByteLevelTokens(bytes, ends);
    }

    private static boolean sequenceHas(JsonNode decoder, String type) {
        for (JsonNode d : decoder.path("decoders")) {
            if (d.path("type").asText("").equals(type)) {
                return true;
            }
        }
        return false;
    }

    /** A vocabulary entry's bytes: each of its characters stands for one byte. */
    private static byte[] spell(String token, Map<Character, Integer> byteOf) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            Integer b = byteOf.get(token.charAt(i));
            if (b == null) {
                // Not a byte-level spelling (e.g. an added token without its flag): its own UTF-8.
                return token.getBytes(StandardCharsets.UTF_8);
            }
            out[i] = (byte) (int) b;
        }
        return out;
    }

    /**
     * GPT-2's mapping of bytes onto printable characters, inverted: printable Latin-1 bytes stand for themselves,
     * the others for the characters from U+0100 on, in byte order.
     */
    static Map<Character, Integer> unicodeToByte() {
        Map<Character, Integer> map = new HashMap<>();
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + next++);
            map.put(c, b);
        }
        return map;
    }

    @Override
    public int size() {
        return bytes.length;
    }

    @Override
    public byte[] bytes(int token) {
        return token >= 0 && token < bytes.length ? bytes[token] : new byte[0];
    }

    @Override
    public boolean endsSequence(int token) {
        return token >= 0 && token < endsSequence.length && endsSequence[token];
    }
}
