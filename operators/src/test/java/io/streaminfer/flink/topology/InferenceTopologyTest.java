package io.streaminfer.flink.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.model.ModelSelection;
import io.streaminfer.flink.graph.GraphFixture;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.flink.records.RequestEnvelope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.ForwardPartitioner;
import org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The topology's shape, as the job graph Flink would run: one shuffle (into admission), forward edges after it, the
 * stable uids, the models to load, and a branch of another kind added in one place.
 */
class InferenceTopologyTest {
    static Path repo;

    @BeforeAll
    static void repository() {
        repo = GraphFixture.create();
    }

    static TopologySettings.Builder settings(ModelSelection served) {
        return TopologySettings.builder()
                .inference(InferenceSettings.builder().modelsDir(repo.toString()).build())
                .servedModels(served)
                .stateTtl(Duration.ofMinutes(5));
    }

    /** The stream graph of the topology between a source and discarding sinks, by uid. */
    static StreamGraph graph(InferenceTopology topology) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<RawRecord> requests = env.fromSequence(0, 1).map(i -> new RawRecord()).returns(RawRecord.class)
                .uid("requests-source");
        InferenceTopology.Outputs out = topology.attach(requests);
        out.results().sinkTo(new DiscardingSink<>()).uid("results-sink");
        out.statuses().sinkTo(new DiscardingSink<>()).uid("status-sink");
        out.deadLetters().sinkTo(new DiscardingSink<>()).uid("dlq-sink");
        return env.getStreamGraph();
    }

    static Map<String, StreamNode> byUid(StreamGraph g) {
        Map<String, StreamNode> nodes = new HashMap<>();
        for (StreamNode n : g.getStreamNodes()) {
            if (n.getTransformationUID() != null) {
                nodes.put(n.getTransformationUID(), n);
            }
        }
        return nodes;
    }

    @Test
    void oneShuffleIntoAdmissionAndForwardEdgesEverywhereAfterIt() {
        StreamGraph g = graph(InferenceTopology.builder().settings(settings(ModelSelection.all()).build()).build());
        Map<String, StreamNode> nodes = byUid(g);
        StreamNode admission = nodes.get("admission");
        assertThat(admission.getInEdges()).isNotEmpty().allSatisfy(e -> assertThat(e.getPartitioner())
                .isInstanceOf(KeyGroupStreamPartitioner.class));

        Set<Integer> seen = new HashSet<>();
        Deque<StreamNode> next = new ArrayDeque<>(List.of(admission));
        while (!next.isEmpty()) {
            StreamNode n = next.poll();
            for (StreamEdge e : n.getOutEdges()) {
                StreamNode target = g.getStreamNode(e.getTargetId());
                assertThat(e.getPartitioner()).as("edge %s -> %s", n.getOperatorName(), target.getOperatorName())
                        .isInstanceOf(ForwardPartitioner.class);
                if (seen.add(target.getId())) {
                    next.add(target);
                }
            }
        }
        assertThat(seen).as("everything after admission, graph steps and sinks included").hasSizeGreaterThan(10);
    }

    @Test
    void theUidsSavepointsMapStateByAreStable() {
        StreamGraph g = graph(InferenceTopology.builder().settings(settings(ModelSelection.all()).build()).build());
        assertThat(byUid(g).keySet()).contains("parse", "rejections", "admission", "graph-router", "inference",
                "outcomes", "graph-chain-v1-s1", "graph-chain-v1-s2-gate", "graph-fan-v1-j-join");
    }

    @Test
    void theModelsLoadedAreTheServedOnesLessGraphsPlusTheirStepsModels() {
        InferenceTopology all = InferenceTopology.builder().settings(settings(ModelSelection.all()).build()).build();
        assertThat(all.loadedModels().isAll()).isTrue();
        InferenceTopology chain = InferenceTopology.builder()
                .settings(settings(ModelSelection.only(Set.of("chain"))).build()).build();
        assertThat(chain.loadedModels().names()).containsExactly("echo");
        assertThat(chain.branches()).hasSize(1);
        InferenceTopology echo = InferenceTopology.builder()
                .settings(settings(ModelSelection.only(Set.of("echo"))).build()).build();
        assertThat(echo.branches()).as("no graph served, no graph operators").isEmpty();
    }

    @Test
    void servedModelsMissingFromTheRepositoryFailTheAssembly() {
        assertThatThrownBy(() -> InferenceTopology.builder()
                .settings(settings(ModelSelection.only(Set.of("no-such-model"))).build()).build())
                .hasMessageContaining("no-such-model");
    }

    @Test
    void withoutReadingTheRepositoryNoGraphIsServed() {
        InferenceTopology t = InferenceTopology.builder()
                .settings(settings(ModelSelection.all()).checkRepository(false).build()).build();
        assertThat(t.branches()).isEmpty();
    }

    /** A kind of request with an operator of its own, as a generative model's would be: one more branch. */
    @Test
    void aBranchOfAnotherKindIsAddedInOnePlaceAndItsOutcomesReachTheRecorder() {
        RequestBranch other = new RequestBranch() {
            @Override
            public Set<String> takes() {
                return Set.of("chain");
            }

            @Override
            public Set<String> runs() {
                return Set.of("echo");
            }

            @Override
            public Attached attach(DataStream<RequestEnvelope> admitted, Context context) {
                DataStream<Outcome> outcomes = admitted
                        .map(r -> Outcomes.accepted(r, 0)).returns(Outcome.class).uid("other-kind").name("other");
                return new Attached(admitted, List.of(outcomes), List.of());
            }
        };
        InferenceTopology t = InferenceTopology.builder()
                .settings(settings(ModelSelection.only(Set.of("echo"))).build()).branch(other).build();
        assertThat(t.loadedModels().names()).containsExactly("echo");
        Map<String, StreamNode> nodes = byUid(graph(t));
        assertThat(nodes.get("other-kind").getOutEdges()).singleElement()
                .satisfies(e -> assertThat(e.getTargetId()).isEqualTo(nodes.get("outcomes").getId()));
    }

    @Test
    void settingsListEveryProblem() {
        assertThatThrownBy(() -> TopologySettings.builder().maxRequestBytes(0).asyncCapacity(0)
                .stateTtl(Duration.ofMinutes(5)).resultTtl(Duration.ofMinutes(6)).acceptedDelayMs(-1).build())
                .hasMessageContaining("inference settings are required")
                .hasMessageContaining("max request bytes")
                .hasMessageContaining("async capacity")
                .hasMessageContaining("result TTL must be within 0..state TTL")
                .hasMessageContaining("accepted delay")
                .hasMessageContaining("5 problem(s)");
    }
}
