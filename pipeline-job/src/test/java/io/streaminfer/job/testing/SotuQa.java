package io.streaminfer.job.testing;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The example graph sotu-qa done by hand, as a client would without graphs: its three models called one after
 * another through the runtime (embed every question, look every embedding up, classify those whose best match is
 * under the threshold), {@code batch} requests per model call (1: one at a time). The tests' reference for the
 * graph's outputs, and the benchmark's baseline.
 */
public final class SotuQa {
    public static final String GRAPH = "sotu-qa";
    public static final String EMBED = "all-minilm-l6-v2";
    public static final String LOOKUP = "sotu-lookup";
    public static final String TOPICS = "sotu-topics";
    /** deploy/models/sotu-qa/1/graph.yaml: the topic branch runs when the best score is below this. */
    public static final double THRESHOLD = 0.5;

    /** One question's answer; {@code topic} null when the branch did not run. */
    public record Answer(long[] indices, float[] scores, float best, Long topic, Float topicScore) {
    }

    private SotuQa() {}

    public static List<Answer> byHand(ModelRuntime runtime, List<String> questions, int batch) {
        List<Tensor> embeddings = call(runtime.replica(EMBED, null), batch,
                questions.stream().map(q -> Tensor.ofStrings("text", q)).toList(), r -> r.output("embedding"));
        List<InferenceResponse> lookups = call(runtime.replica(LOOKUP, null), batch,
                embeddings.stream().map(e -> rename(e, "embedding")).toList(), r -> r);
        List<Tensor> weak = new ArrayList<>();
        for (int i = 0; i < lookups.size(); i++) {
            if (lookups.get(i).output("best_score").floats()[0] < THRESHOLD) {
                weak.add(rename(embeddings.get(i), "embedding"));
            }
        }
        List<InferenceResponse> topics = call(runtime.replica(TOPICS, null), batch, weak, r -> r);
        List<Answer> out = new ArrayList<>();
        int t = 0;
        for (InferenceResponse l : lookups) {
            float best = l.output("best_score").floats()[0];
            InferenceResponse topic = best < THRESHOLD ? topics.get(t++) : null;
            out.add(new Answer(l.output("indices").longs(), l.output("scores").floats(), best,
                    topic == null ? null : topic.output("topic").longs()[0],
                    topic == null ? null : topic.output("topic_score").floats()[0]));
        }
        return out;
    }

    /** One request per input, {@code batch} requests per model call. */
    private static <T> List<T> call(ModelReplica replica, int batch, List<Tensor> inputs,
            Function<InferenceResponse, T> take) {
        List<T> out = new ArrayList<>(inputs.size());
        for (int from = 0; from < inputs.size(); from += batch) {
            List<InferenceRequest> requests = new ArrayList<>();
            for (int i = from; i < Math.min(inputs.size(), from + batch); i++) {
                requests.add(new InferenceRequest("q" + i, List.of(inputs.get(i))));
            }
            for (Prediction p : replica.predictBatch(requests)) {
                if (!p.isSuccess()) {
                    throw new IllegalStateException(replica.model() + " failed: " + p.error());
                }
                out.add(take.apply(p.response()));
            }
        }
        return out;
    }

    private static Tensor rename(Tensor t, String name) {
        return new Tensor(name, t.datatype(), t.shape(), t.data());
    }
}
