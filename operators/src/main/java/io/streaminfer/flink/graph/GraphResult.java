package io.streaminfer.flink.graph;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.Tensor;
import io.streaminfer.flink.records.GraphRecord;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.RequestEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.Internal;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The end of a graph: a request that went through every branch becomes its {@link Outcome} for the outcome
 * recorder. SUCCEEDED carries an OIP response of the graph's name and version whose outputs are mapped from the
 * steps' (each the first available of its sources; one no branch produced is left out), each output's {@code
 * parameters.step} naming the step it came from, and the response's {@code parameters.steps_run} and {@code
 * steps_skipped} listing which steps ran and which were skipped (comma-separated, in the graph's order): which branch
 * produced them. A failed request ends FAILED (or EXPIRED) with its step's error, and a FAILED one writes a dead letter
 * carrying the step ({@link #DEAD_LETTERS}: the graph request's inputs as OIP JSON, headers {@code model}, {@code
 * model-version} and {@code step}, plus error-code and error-reason as every dead letter). Progress records become
 * ACCEPTED and RUNNING (with the step) progress outcomes.
 */
@Internal
public class GraphResult extends ProcessFunction<GraphRecord, Outcome> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<Rejection> DEAD_LETTERS = new OutputTag<>("graph-dead-letters") {};

    private final GraphPlan plan;

    public GraphResult(GraphPlan plan) {
        this.plan = plan;
    }

    @Override
    public void processElement(GraphRecord r, Context ctx, Collector<Outcome> out) {
        long now = System.currentTimeMillis();
        if (r.isProgress()) {
            if (Gate.passesProgress(plan, plan.output(), r)) {
                out.collect(progress(r, now));
            }
            return;
        }
        RequestEnvelope env = r.envelope();
        Map<String, Tensor> tensors = GraphTensors.decode(r.tensors);
        Outcome o;
        if (r.failed()) {
            o = Outcomes.failure(env, r.errorCode, r.reason, now);
            o.step = r.failedStep;
            if (o.state == RequestState.FAILED) {
                ctx.output(DEAD_LETTERS, deadLetter(r, tensors, now));
            }
        } else {
            o = Outcomes.success(env, response(r, tensors), now);
        }
        o.queueMicros = sum(r.queueMicros);
        o.modelMicros = sum(r.modelMicros);
        out.collect(o);
    }

    private static Outcome progress(GraphRecord p, long now) {
        return Outcomes.progress(p.envelope(), p.progress, p.progressStep,
                p.progress == RequestState.ACCEPTED ? p.acceptedAt : now);
    }

    private InferenceResponse response(GraphRecord r, Map<String, Tensor> tensors) {
        List<String> asked = r.requestedOutputs == null || r.requestedOutputs.length == 0 ? null
                : Arrays.asList(r.requestedOutputs);
        List<Tensor> outputs = new ArrayList<>();
        for (Map.Entry<String, List<String>> o : plan.outputs().entrySet()) {
            if (asked != null && !asked.contains(o.getKey())) {
                continue;
            }
            String source = GraphTensors.firstAvailable(o.getValue(), tensors);
            if (source == null) {
                continue; // no branch produced it: the steps lists say which ran
            }
            Tensor t = tensors.get(source);
            int dot = source.indexOf('.');
            Map<String, Object> parameters = Map.of("step", dot < 0 ? "inputs" : source.substring(0, dot));
            outputs.add(new Tensor(o.getKey(), t.datatype(), t.shape(), t.data(), parameters));
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("steps_run", steps(r, GraphRecord.RAN));
        parameters.put("steps_skipped", steps(r, GraphRecord.SKIPPED));
        return new InferenceResponse(plan.graph(), plan.version(), r.responseId, parameters, outputs);
    }

    private String steps(GraphRecord r, byte state) {
        List<String> names = new ArrayList<>();
        for (GraphPlan.Step s : plan.steps()) {
            if (r.steps[s.index] == state) {
                names.add(s.name);
            }
        }
        return String.join(",", names);
    }

    /** The graph request's inputs as OIP JSON, with the step that failed. */
    private Rejection deadLetter(GraphRecord r, Map<String, Tensor> tensors, long now) {
        List<Tensor> inputs = new ArrayList<>();
        for (String name : plan.graphInputs()) {
            if (tensors.containsKey(name)) {
                inputs.add(tensors.get(name));
            }
        }
        RawRecord raw = new RawRecord();
        raw.key = r.id.getBytes(StandardCharsets.UTF_8);
        raw.value = OipJson.writeRequest(new InferenceRequest(r.responseId, inputs));
        if (r.traceparent == null) {
            raw.headerNames = new String[] {KafkaContract.HEADER_MODEL, KafkaContract.HEADER_MODEL_VERSION,
                KafkaContract.HEADER_STEP};
            raw.headerValues = new byte[][] {utf8(r.graph), utf8(r.graphVersion), utf8(r.failedStep)};
        } else {
            raw.headerNames = new String[] {KafkaContract.HEADER_MODEL, KafkaContract.HEADER_MODEL_VERSION,
                KafkaContract.HEADER_STEP, KafkaContract.HEADER_TRACEPARENT, KafkaContract.HEADER_TRACESTATE};
            raw.headerValues = new byte[][] {utf8(r.graph), utf8(r.graphVersion), utf8(r.failedStep),
                utf8(r.traceparent), utf8(r.tracestate)};
        }
        raw.timestamp = r.producedAt;
        Rejection d = new Rejection();
        d.id = r.id;
        d.responseId = r.responseId;
        d.model = r.graph;
        d.errorCode = r.errorCode;
        d.reason = r.reason;
        d.record = raw;
        d.rejectedAt = now;
        return d;
    }

    private static byte[] utf8(String s) {
        return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    }

    private static long sum(long[] micros) {
        long total = -1;
        for (long m : micros == null ? new long[0] : micros) {
            if (m >= 0) {
                total = Math.max(0, total) + m;
            }
        }
        return total;
    }
}
