package io.streaminfer.job.tools;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelKind;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.RuntimeOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Embeds a file of texts (one per line) with a text model of the repository, through this project's own runtime,
 * and writes the embeddings as raw little-endian float32, row after row: what {@code deploy/model-export} builds
 * the example graph's lookup models from, so their weights are the real model's embeddings.
 *
 * <pre>
 * deploy/bin/embed-texts --model-dir deploy/models/all-minilm-l6-v2 --texts refs.txt --out refs.f32
 * </pre>
 *
 * It loads the one model folder it is given (its latest version) rather than the whole repository, which may still
 * miss the models this is about to make. Prints {@code rows x dim}.
 */
@Command(name = "embed-texts", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Embed texts (one per line) with a text model; write little-endian float32 rows.")
public final class EmbedTextsCommand implements Callable<Integer> {
    private static final int CHUNK = 32;

    @Option(names = "--model-dir", required = true, description = "The text model's folder (holding model.yaml).")
    Path modelDir;

    @Option(names = "--texts", required = true, description = "One text per line.")
    Path texts;

    @Option(names = "--out", required = true, description = "Where the float32 rows go.")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new EmbedTextsCommand()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        ModelConfig config = ModelRepository.readConfig(modelDir.resolve(ModelConfig.FILE_NAME));
        if (config.kind() != ModelKind.TEXT_EMBEDDING) {
            System.err.println("embed-texts: " + modelDir + " is not a text-embedding model");
            return 2;
        }
        String version;
        try (var dirs = Files.list(modelDir)) {
            version = dirs.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9]{1,18}"))
                    .max((a, b) -> Long.compare(Long.parseLong(a), Long.parseLong(b)))
                    .orElseThrow(() -> new IllegalStateException("no version folder in " + modelDir));
        }
        ModelVersion v = new ModelVersion(modelDir.getFileName().toString(), version, config,
                modelDir.resolve(version));
        List<String> lines = Files.readAllLines(texts).stream().filter(l -> !l.isBlank()).toList();
        int dim = (int) config.outputs().get(0).dim(1);
        String input = config.inputs().get(0).name();
        RuntimeOptions options = RuntimeOptions.builder().modelsDir(modelDir.getParent()).workers(1).build();
        try (ModelReplica replica = ModelRuntime.loadReplica(v, options);
                OutputStream o = Files.newOutputStream(out)) {
            for (int from = 0; from < lines.size(); from += CHUNK) {
                List<InferenceRequest> batch = new ArrayList<>();
                for (int i = from; i < Math.min(lines.size(), from + CHUNK); i++) {
                    batch.add(new InferenceRequest("t" + i, List.of(Tensor.ofStrings(input, lines.get(i)))));
                }
                for (Prediction p : replica.predictBatch(batch)) {
                    if (!p.isSuccess()) {
                        throw new IllegalStateException("embedding failed: " + p.error());
                    }
                    float[] e = p.response().outputs().get(0).floats();
                    ByteBuffer b = ByteBuffer.allocate(4 * e.length).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(e);
                    o.write(b.array());
                }
            }
        }
        System.out.println(lines.size() + " x " + dim);
        return 0;
    }
}
