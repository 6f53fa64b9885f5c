package io.streaminfer.runtime.internal;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.model.GenerationSettings;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.SamplingParams;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RequestPreparer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Prepares requests of a generative model: reads the prompt or the chat (rendered with the model's template) and the
 * sampling parameters ({@link GenerationOptions}), tokenizes the prompt once, and checks it against the context: a
 * prompt that leaves no room, or a {@code max_tokens} that does not fit beside it, is refused with both numbers (as
 * OpenAI's and vLLM's servers do); without {@code max_tokens} the default is cut to what the context leaves.
 */
public final class GenerationPreparer implements RequestPreparer {
    /** Characters a prompt may have per token of context before it is refused untokenized: no tokenizer on MBs. */
    private static final int MAX_CHARS_PER_TOKEN = 32;

    private final ModelVersion version;
    private final GenerationSettings settings;
    private final HuggingFaceTokenizer tokenizer;

    public GenerationPreparer(ModelVersion version) {
        this.version = version;
        this.settings = version.config().generation();
        try {
            this.tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(version.directory().resolve(settings.tokenizer()))
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the tokenizer of " + version.key(), e);
        }
    }

    @Override
    public ModelVersion model() {
        return version;
    }

    @Override
    public PreparedRequest prepare(InferenceRequest request) {
        GenerationOptions o = GenerationOptions.read(request, settings);
        String text = o.isChat() ? settings.chatTemplate().render(o.messages()) : o.prompt();
        int context = settings.contextLength();
        if ((long) text.length() > (long) context * MAX_CHARS_PER_TOKEN) {
            throw InferenceException.invalidInput("the prompt has " + text.length() + " characters, more than "
                    + "this model's context of " + context + " tokens can hold");
        }
        int[] prompt = encode(text);
        if (prompt.length == 0) {
            prompt = new int[] {settings.endOfSequence().get(0)}; // as GPT-2 does: a text starts after one
        }
        if (prompt.length >= context) {
            throw InferenceException.invalidInput("this model's context is " + context + " tokens, and the prompt "
                    + "alone has " + prompt.length + ": shorten it");
        }
        int room = context - prompt.length;
        int maxTokens = o.maxTokens();
        if (maxTokens > room) {
            if (o.maxTokensGiven()) {
                throw InferenceException.invalidInput("this model's context is " + context + " tokens; the prompt "
                        + "has " + prompt.length + " and max_tokens asks for " + maxTokens + " more: lower "
                        + "max_tokens to at most " + room + " or shorten the prompt");
            }
            maxTokens = room;
        }
        SamplingParams.Builder p = SamplingParams.builder()
                .maxTokens(maxTokens)
                .temperature(o.temperature())
                .topP(o.topP())
                .topK(o.topK())
                .stop(o.stop())
                .minTokens(Math.min(o.minTokens(), maxTokens))
                .ignoreEos(o.ignoreEos());
        o.seed().ifPresent(p::seed);
        List<String> problems = p.problems();
        if (!problems.isEmpty()) {
            throw InferenceException.invalidInput(String.join("; ", problems));
        }
        GenerationPrompt payload = new GenerationPrompt(prompt, p.build(), o.stream());
        // Held until answered: the prompt's ids, and the text it may generate (about 4 bytes a token).
        long bytes = 64L + 4L * prompt.length + 8L * maxTokens;
        return new PreparedRequest(version.key(), new InferenceRequest(request.id(), null, List.of(),
                request.outputs()), 1, prompt.length, prompt.length, bytes, payload);
    }

    /** Token ids of {@code text}, straight through the native library (no strings or spans per token). */
    private int[] encode(String text) {
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, false);
        try {
            long[] ids = TokenizersLibrary.LIB.getTokenIds(encoding);
            int[] out = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                out[i] = (int) ids[i];
            }
            return out;
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
