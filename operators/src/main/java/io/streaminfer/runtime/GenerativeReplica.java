package io.streaminfer.runtime;

import ai.djl.Device;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.GenerationSettings;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.DecoderModel;
import io.streaminfer.generation.EngineConfig;
import io.streaminfer.generation.EngineListener;
import io.streaminfer.generation.GenerationEngine;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.generation.TokenText;
import io.streaminfer.runtime.internal.ByteLevelTokens;
import io.streaminfer.runtime.internal.TorchDecoder;
import io.streaminfer.runtime.internal.TorchEngine;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One loaded copy of a generative model version: its TorchScript decoder on a device and its token text, ready to
 * drive a {@link GenerationEngine} with the budgets of its {@code model.yaml}. Knows nothing of Flink.
 *
 * <pre>{@code
 * try (GenerativeReplica replica = GenerativeReplica.load(repository.resolve("sotu-gpt", null), null);
 *      GenerationEngine engine = replica.startEngine(deltas -> { }, EngineListener.NONE)) {
 *     GenerationResult r = engine.submit(request).join();
 * }
 * }</pre>
 */
public final class GenerativeReplica implements AutoCloseable {
    private final ModelVersion version;
    private final TorchDecoder decoder;
    private final TokenText tokens;

    private GenerativeReplica(ModelVersion version, TorchDecoder decoder, TokenText tokens) {
        this.version = version;
        this.decoder = decoder;
        this.tokens = tokens;
    }

    /** Loads {@code version} on {@code device} (null: its own {@code device} setting). */
    public static GenerativeReplica load(ModelVersion version, DeviceSpec device) {
        if (!version.config().isGenerative()) {
            throw new IllegalArgumentException(version.key() + " is a " + version.config().kind().yamlName()
                    + " model, not a generative one");
        }
        GenerationSettings g = version.config().generation();
        Device d = TorchEngine.resolve(device != null ? device : version.config().device(),
                TorchEngine.get(version.config().threads()));
        TokenText tokens;
        try {
            tokens = ByteLevelTokens.load(version.directory().resolve(g.tokenizer()), g.endOfSequence());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the tokenizer of " + version.key(), e);
        }
        TorchDecoder decoder = new TorchDecoder(version, d);
        if (decoder.vocabularySize() < tokens.size()) {
            decoder.close();
            throw new IllegalStateException(version.key() + ": the model's logits have " + decoder.vocabularySize()
                    + " entries but its tokenizer has " + tokens.size() + " tokens");
        }
        return new GenerativeReplica(version, decoder, tokens);
    }

    public ModelVersion version() {
        return version;
    }

    public String device() {
        return decoder.device();
    }

    public DecoderModel decoder() {
        return decoder;
    }

    public TokenText tokens() {
        return tokens;
    }

    /** The engine budgets of its {@code model.yaml}: running sequences, step tokens, KV cache, waiting. */
    public EngineConfig.Builder engineConfig() {
        GenerationSettings g = version.config().generation();
        return EngineConfig.builder()
                .name(version.key())
                .maxRunning(version.config().maxBatchSize())
                .stepTokens(g.stepTokens())
                .minPrefillTokens(Math.min(16, g.stepTokens()))
                .kvCacheBytes(g.kvCacheBytes())
                .maxWaiting(g.maxWaiting());
    }

    /** A running engine over this replica with its own budgets; close the engine before the replica. */
    public GenerationEngine startEngine(GenerationListener deltas, EngineListener metrics) {
        return new GenerationEngine(decoder, tokens, engineConfig().build(), deltas, metrics);
    }

    @Override
    public void close() {
        decoder.close();
    }
}
