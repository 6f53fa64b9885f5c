package io.streaminfer.job.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The tests' reference for "the right embedding": the runtime's own answer for each sentence, compared by cosine. */
public final class Embeddings {
    private Embeddings() {}

    /** Each sentence's embedding from a text-embedding model, run directly in the runtime (no Kafka, no Flink). */
    public static Map<String, float[]> reference(String model, Collection<String> sentences) {
        String dir = System.getProperty("streaminfer.models.dir",
                System.getenv().getOrDefault("STREAMINFER_MODELS_DIR", "deploy/models"));
        Map<String, float[]> out = new HashMap<>();
        try (ModelRuntime runtime = ModelRuntime.load(RuntimeOptions.builder().modelsDir(Path.of(dir))
                .models(Set.of(model)).workers(1).build())) {
            for (String s : sentences) {
                out.put(s, runtime.predict(model, null, new InferenceRequest("reference",
                        List.of(Tensor.ofStrings("text", s)))).response().outputs().get(0).floats());
            }
        }
        return out;
    }

    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("embeddings of different sizes: " + a.length + " and " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** An OIP output's {@code data} array as floats. */
    public static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }
}
