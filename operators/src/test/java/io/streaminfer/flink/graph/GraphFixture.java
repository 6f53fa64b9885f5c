package io.streaminfer.flink.graph;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.flink.records.GraphRecord;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.runtime.PreparedRequestCodec;
import io.streaminfer.runtime.Preparers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A model repository for tests of graph logic: a tensor model {@code echo} (declared only: its replica is a test's
 * stand-in) and three graphs over it. {@code chain}: s1 on a, then s2 on s1's output when s1's label is 1.
 * {@code fan} and {@code fanall}: l on a and r on b, then j on the first available of l.y and r.y (a first-join, an
 * all-join).
 */
public final class GraphFixture {
    static final String ECHO = String.join("\n",
            "kind: tensor",
            "inputs: [{name: x, datatype: FP32, shape: [-1, 4]}]",
            "outputs:",
            "  - {name: y, datatype: FP32, shape: [-1, 4]}",
            "  - {name: label, datatype: INT64, shape: [-1]}",
            "");
    static final String SIGNATURE = String.join("\n",
            "kind: graph",
            "inputs:",
            "  - {name: a, datatype: FP32, shape: [-1, 4]}",
            "  - {name: b, datatype: FP32, shape: [-1, 4]}",
            "outputs:",
            "  - {name: y, datatype: FP32, shape: [-1, 4]}",
            "  - {name: label, datatype: INT64, shape: [-1]}",
            "");
    static final String CHAIN = String.join("\n",
            "steps:",
            "  - {name: s1, model: echo, inputs: {x: a}}",
            "  - {name: s2, model: echo, inputs: {x: s1.y}, when: {output: s1.label, in: [1]}, timeout_ms: 500}",
            "  - {name: sb, model: echo, inputs: {x: b}}",
            "outputs: {y: [s2.y, s1.y], label: sb.label}",
            "");
    static final String FAN = String.join("\n",
            "steps:",
            "  - {name: l, model: echo, inputs: {x: a}}",
            "  - {name: r, model: echo, inputs: {x: b}}",
            "  - {name: j, model: echo, inputs: {x: [l.y, r.y]}, join: first}",
            "outputs: {y: j.y, label: [l.label, r.label]}",
            "");

    private GraphFixture() {}

    public static Path create() {
        try {
            Path dir = Files.createTempDirectory("graph-fixture");
            write(dir.resolve("echo").resolve("model.yaml"), ECHO);
            write(dir.resolve("echo").resolve("1").resolve("model.pt"), "");
            graph(dir, "chain", CHAIN);
            graph(dir, "fan", FAN);
            graph(dir, "fanall", FAN.replace(", join: first", ""));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void graph(Path dir, String name, String graphYaml) throws IOException {
        write(dir.resolve(name).resolve("model.yaml"), SIGNATURE);
        write(dir.resolve(name).resolve("1").resolve("graph.yaml"), graphYaml);
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    static GraphPlan plan(Path repo, String graph) {
        ModelRepository r = ModelRepository.open(repo);
        return GraphPlan.of(r.resolve(graph, null), r);
    }

    /** A graph request as admission leaves it: inputs a and b of one row each. */
    static RequestEnvelope request(Path repo, String graph, String id, float[] a, float[] b) {
        RequestEnvelope e = new RequestEnvelope();
        e.id = id;
        e.responseId = "resp-" + id;
        e.model = graph;
        e.modelVersion = "1";
        e.priority = Integer.MAX_VALUE;
        e.deadlineMs = Long.MAX_VALUE;
        e.producedAt = 1_000;
        e.acceptedAt = 2_000;
        e.replyTo = "bridge-1";
        e.prepared = PreparedRequestCodec.encode(Preparers.load(ModelRepository.open(repo).resolve(graph, null))
                .prepare(new InferenceRequest(id, List.of(Tensor.ofFloats("a", new long[] {1, 4}, a),
                        Tensor.ofFloats("b", new long[] {1, 4}, b)))));
        return e;
    }

    /** A record of {@code plan} carrying {@code tensors}, no step reached yet. */
    static GraphRecord record(GraphPlan plan, String id, Tensor... tensors) {
        RequestEnvelope e = new RequestEnvelope();
        e.id = id;
        e.responseId = id;
        e.priority = Integer.MAX_VALUE;
        e.deadlineMs = Long.MAX_VALUE;
        GraphRecord r = GraphRouter.record(e, plan);
        r.tensors = io.streaminfer.runtime.TensorsCodec.encode(List.of(tensors));
        return r;
    }

    static Tensor row(String name, float... values) {
        return Tensor.ofFloats(name, new long[] {1, values.length}, values);
    }

    static Tensor label(String name, long value) {
        return new Tensor(name, io.streaminfer.contract.Datatype.INT64, new long[] {1}, new long[] {value});
    }
}
