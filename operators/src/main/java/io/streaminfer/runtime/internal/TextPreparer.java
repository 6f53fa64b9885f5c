package io.streaminfer.runtime.internal;

import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.RequestValidator;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RequestPreparer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A text-embedding model's preparation: each row cut to what the tokenizer reads and tokenized once ({@link
 * BoundedTokenizer}); over-long rows truncated or refused as the model's {@code text.overflow} says. The text itself
 * is not kept.
 */
public final class TextPreparer implements RequestPreparer {
    private final ModelVersion version;
    private final ModelConfig.TextSettings text;
    private final String inputName;
    private final int dim;
    private final BoundedTokenizer tokenizer;

    public TextPreparer(ModelVersion version) {
        this.version = version;
        this.text = version.config().text();
        this.inputName = version.config().inputs().get(0).name();
        this.dim = (int) version.config().outputs().get(0).dim(1);
        Path file = version.directory().resolve(text.tokenizer());
        try {
            this.tokenizer = new BoundedTokenizer(file, text.maxLength());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot load tokenizer " + file + " of " + version.key() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public ModelVersion model() {
        return version;
    }

    @Override
    public PreparedRequest prepare(InferenceRequest request) {
        int rows = RequestValidator.validate(request, version.config());
        String[] strings = request.input(inputName).strings();
        long[][] ids = new long[strings.length][];
        long[][] types = null;
        int longest = 1;
        long real = 0;
        for (int i = 0; i < strings.length; i++) {
            BoundedTokenizer.Tokens t = tokenizer.encode(strings[i]);
            if (t.truncated() && text.overflow() == ModelConfig.Overflow.REFUSE) {
                throw InferenceException.invalidInput("input '" + inputName + "' row " + i + " is longer than the "
                        + text.maxLength() + " tokens model " + version.key() + " reads (text.max_length); shorten "
                        + "it, or set text.overflow: truncate in its model.yaml");
            }
            ids[i] = t.ids();
            if (t.typeIds() != null) {
                if (types == null) {
                    types = new long[strings.length][];
                }
                types[i] = t.typeIds();
            }
            longest = Math.max(longest, t.ids().length);
            real += t.ids().length;
        }
        // Memory until answered: the ids, the embeddings, and about 12 bytes of JSON per float of the response.
        long bytes = real * Long.BYTES * (types == null ? 1 : 2) + (long) strings.length * dim * (Float.BYTES + 12)
                + 64L * strings.length;
        // The answer needs the id and the outputs asked for, not the text: drop it.
        InferenceRequest slim = new InferenceRequest(request.id(), null, List.of(), request.outputs());
        return new PreparedRequest(version.key(), slim, rows, longest, real, bytes, new TextRows(ids, types));
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
