package io.streaminfer.flink.generation;

import io.streaminfer.flink.records.RequestEnvelope;
import java.util.Set;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends every envelope of a generative model to {@link #GENERATION} (its decided ones too: ACCEPTED and the final
 * outcome of a request must take one path to the recorder, in order) and the rest on. Forward edges only: records
 * stay on the subtask their request ID was admitted on, so the generation step reads them as keyed.
 */
public final class GenerationRouter extends ProcessFunction<RequestEnvelope, RequestEnvelope> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<RequestEnvelope> GENERATION = new OutputTag<>("generation") { };

    private final Set<String> generativeModels;

    public GenerationRouter(Set<String> generativeModels) {
        this.generativeModels = Set.copyOf(generativeModels);
    }

    @Override
    public void processElement(RequestEnvelope r, Context ctx, Collector<RequestEnvelope> out) {
        String model = r.model != null ? r.model : r.decided != null ? r.decided.model : null;
        if (model != null && generativeModels.contains(model)) {
            ctx.output(GENERATION, r);
        } else {
            out.collect(r);
        }
    }
}
