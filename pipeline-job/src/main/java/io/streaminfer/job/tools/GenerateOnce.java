package io.streaminfer.job.tools;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.EngineListener;
import io.streaminfer.generation.FinishReason;
import io.streaminfer.generation.GenerationEngine;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.generation.GenerationResult;
import io.streaminfer.runtime.GenerationPrompt;
import io.streaminfer.runtime.GenerationResponses;
import io.streaminfer.runtime.GenerativeReplica;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import java.io.PrintStream;

/**
 * One generation on the model alone, for {@code deploy/bin/infer}: prepared as the job prepares it, run on an engine
 * of its own, answered with the job's OIP response; with {@code stream}, the text goes to {@code deltas} as it comes.
 */
final class GenerateOnce {
    private GenerateOnce() {}

    static InferenceResponse run(ModelVersion version, DeviceSpec device, InferenceRequest request,
            PrintStream deltas) {
        GenerationPrompt prompt;
        try (RequestPreparer preparer = Preparers.load(version)) {
            prompt = (GenerationPrompt) preparer.prepare(request).payload();
        }
        GenerationListener listener = deltas == null ? GenerationListener.NONE : step -> {
            step.forEach(d -> deltas.print(d.text()));
            deltas.flush();
        };
        GenerationResult r;
        try (GenerativeReplica replica = GenerativeReplica.load(version, device);
                GenerationEngine engine = replica.startEngine(listener, EngineListener.NONE)) {
            r = engine.submit(GenerationRequest.builder(request.id(), prompt.tokens(), prompt.params())
                    .stream(deltas != null).build()).join();
        }
        if (deltas != null) {
            deltas.println();
        }
        if (r.finish() == FinishReason.ERROR) {
            throw new InferenceException(ErrorCode.MODEL_ERROR, r.error());
        }
        return GenerationResponses.of(version.name(), version.version(), request.id(), r.finish(), r.text(),
                r.promptTokens(), r.completionTokens());
    }
}
