package io.streaminfer.flink.graph;

import static io.streaminfer.flink.graph.GraphFixture.label;
import static io.streaminfer.flink.graph.GraphFixture.record;
import static io.streaminfer.flink.graph.GraphFixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.GraphRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gates (a step's condition and inputs) and joins (fan-in, keyed by request ID) of graphs, in Flink's operator
 * harnesses: which records go on, marked how, with which progress, and what the joins keep in keyed state.
 */
class GatesAndJoinsTest {
    static final Duration TTL = Duration.ofHours(1);
    static Path repo;
    static GraphPlan chain;
    static GraphPlan fan;
    static GraphPlan fanAll;

    @BeforeAll
    static void plans() {
        repo = GraphFixture.create();
        chain = GraphFixture.plan(repo, "chain");
        fan = GraphFixture.plan(repo, "fan");
        fanAll = GraphFixture.plan(repo, "fanall");
    }

    static int index(GraphPlan plan, String step) {
        return plan.steps().stream().filter(s -> s.name.equals(step)).findFirst().orElseThrow().index;
    }

    static OneInputStreamOperatorTestHarness<GraphRecord, GraphRecord> gate(GraphPlan plan, String step)
            throws Exception {
        return ProcessFunctionTestHarnesses.forProcessFunction(new StepGate(plan, index(plan, step), true));
    }

    static KeyedOneInputStreamOperatorTestHarness<String, GraphRecord, GraphRecord> join(GraphPlan plan, int node)
            throws Exception {
        var h = unopenedJoin(plan, node);
        h.open();
        return h;
    }

    /** Not yet opened, so state can be restored into it. */
    static KeyedOneInputStreamOperatorTestHarness<String, GraphRecord, GraphRecord> unopenedJoin(GraphPlan plan,
            int node) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new StepJoin(plan, node,
                true, TTL)), r -> r.id, Types.STRING);
    }

    /** s1 has run with this label. */
    static GraphRecord afterS1(String id, long label) {
        GraphRecord r = record(chain, id, row("a", 1, 2, 3, 4), row("s1.y", 1, 2, 3, 4), label("s1.label", label));
        r.steps[index(chain, "s1")] = GraphRecord.RAN;
        return r;
    }

    @Test
    void theTopologyFeedsEachStepFromTheBranchesItNeeds() {
        assertThat(chain.steps()).extracting(s -> s.name).containsExactly("s1", "s2", "sb");
        assertThat(chain.feeds(index(chain, "s2"))).containsExactly(index(chain, "s1"));
        assertThat(chain.feeds(chain.output())).containsExactly(index(chain, "s2"), index(chain, "sb"));
        assertThat(chain.primaryConsumer(GraphPlan.INPUT)).isEqualTo(index(chain, "s1"));
        assertThat(chain.primaryConsumer(index(chain, "sb"))).isEqualTo(chain.output());
        assertThat(fan.feeds(index(fan, "j"))).containsExactly(index(fan, "l"), index(fan, "r"));
        assertThat(chain.uid(1, null)).isEqualTo("graph-chain-v1-s2");
        assertThat(chain.uid(chain.output(), "join")).isEqualTo("graph-chain-v1-outputs-join");
        assertThat(chain.name(1)).isEqualTo("chain/s2");
        assertThat(chain.step(1).describe()).isEqualTo("step 's2' (model echo:1)");
    }

    @Test
    void aStepWhoseConditionHoldsIsAnnouncedAndRuns() throws Exception {
        try (var h = gate(chain, "s2")) {
            h.processElement(afterS1("r1", 1), 0);
            List<GraphRecord> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(0).progress).isEqualTo(RequestState.RUNNING);
            assertThat(out.get(0).progressStep).isEqualTo("s2");
            assertThat(out.get(0).tensors).as("progress carries no tensors").isNull();
            assertThat(out.get(1).run).isTrue();
            assertThat(out.get(1).steps[index(chain, "s2")]).isEqualTo(GraphRecord.NOT_REACHED);
        }
    }

    @Test
    void aStepWhoseConditionFailsIsSkippedWithoutProgressOrError() throws Exception {
        try (var h = gate(chain, "s2")) {
            h.processElement(afterS1("r1", 2), 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(r -> {
                assertThat(r.run).isFalse();
                assertThat(r.failed()).isFalse();
                assertThat(r.steps[index(chain, "s2")]).isEqualTo(GraphRecord.SKIPPED);
            });
        }
    }

    @Test
    void aStepWhoseInputOrConditionTensorIsMissingIsSkipped() throws Exception {
        try (var h = gate(chain, "s2")) {
            GraphRecord noLabel = record(chain, "r1", row("s1.y", 1, 2, 3, 4));
            GraphRecord noInput = record(chain, "r2", label("s1.label", 1));
            h.processElement(noLabel, 0);
            h.processElement(noInput, 0);
            assertThat(h.extractOutputValues()).extracting(r -> r.steps[index(chain, "s2")])
                    .containsExactly(GraphRecord.SKIPPED, GraphRecord.SKIPPED);
        }
    }

    @Test
    void aFailedRequestPassesUntouchedAndProgressPassesOnlyAtTheFirstConsumer() throws Exception {
        GraphRecord failed = afterS1("r1", 1);
        failed.errorCode = ErrorCode.MODEL_ERROR;
        failed.reason = "step 's1' (model echo:1) failed: boom";
        GraphRecord fromS1 = failed.progress(RequestState.RUNNING, "s1", index(chain, "s1"));
        GraphRecord fromInput = failed.progress(RequestState.ACCEPTED, null, GraphPlan.INPUT);
        try (var s2 = gate(chain, "s2"); var sb = gate(chain, "sb")) {
            s2.processElement(failed, 0);
            s2.processElement(fromS1, 0);
            s2.processElement(fromInput, 0);
            sb.processElement(fromInput, 0);
            List<GraphRecord> out = s2.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(0).run).isFalse();
            assertThat(out.get(0).reason).isEqualTo("step 's1' (model echo:1) failed: boom");
            assertThat(out.get(1).progressStep).isEqualTo("s1");
            assertThat(out.get(1).via).as("passed on by s2 now").isEqualTo(index(chain, "s2"));
            assertThat(sb.extractOutputValues()).as("s1 is the input's first consumer, not sb").isEmpty();
        }
    }

    @Test
    void aRecordPlannedWithOtherStepsFailsClearlyInsteadOfBeingMisread() throws Exception {
        GraphRecord old = afterS1("r1", 1);
        old.steps = new byte[2]; // restored from a savepoint of a version that had two steps
        try (var h = gate(chain, "s2"); var j = join(fanAll, index(fanAll, "j"))) {
            h.processElement(old, 0);
            j.processElement(old.copy(), 0);
            for (GraphRecord r : List.of(h.extractOutputValues().get(0), j.extractOutputValues().get(0))) {
                assertThat(r.errorCode).isEqualTo(ErrorCode.INTERNAL);
                assertThat(r.reason).contains("changed while the request was in it", "add", "version");
            }
            assertThat(j.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void anAllJoinWaitsForEveryBranchMergesThemAndClearsItsState() throws Exception {
        int j = index(fanAll, "j");
        try (var h = join(fanAll, j)) {
            GraphRecord left = record(fanAll, "r1", row("a", 1, 1, 1, 1), row("l.y", 1, 1, 1, 1),
                    label("l.label", 0));
            left.steps[index(fanAll, "l")] = GraphRecord.RAN;
            GraphRecord right = record(fanAll, "r1", row("b", 2, 2, 2, 2), row("r.y", 2, 2, 2, 2),
                    label("r.label", 1));
            right.steps[index(fanAll, "r")] = GraphRecord.RAN;
            h.processElement(left, 0);
            assertThat(h.extractOutputValues()).as("waits for r").isEmpty();
            assertThat(h.numKeyedStateEntries()).isEqualTo(1);
            h.processElement(right, 0);
            List<GraphRecord> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(0).progressStep).isEqualTo("j");
            GraphRecord merged = out.get(1);
            assertThat(merged.run).isTrue();
            assertThat(GraphTensors.decode(merged.tensors)).containsKeys("a", "b", "l.y", "r.y", "l.label",
                    "r.label");
            assertThat(merged.steps[index(fanAll, "l")]).isEqualTo(GraphRecord.RAN);
            assertThat(merged.steps[index(fanAll, "r")]).isEqualTo(GraphRecord.RAN);
            assertThat(h.numKeyedStateEntries()).as("cleared once every branch arrived").isZero();
        }
    }

    @Test
    void anAllJoinFailsTheRequestWhenABranchFailed() throws Exception {
        int j = index(fanAll, "j");
        try (var h = join(fanAll, j)) {
            GraphRecord left = record(fanAll, "r1", row("l.y", 1, 1, 1, 1));
            GraphRecord right = record(fanAll, "r1");
            right.errorCode = ErrorCode.MODEL_ERROR;
            right.reason = "step 'r' (model echo:1) failed: boom";
            right.failedStep = "r";
            h.processElement(left, 0);
            h.processElement(right, 0);
            assertThat(h.extractOutputValues()).singleElement().satisfies(r -> {
                assertThat(r.failedStep).isEqualTo("r");
                assertThat(r.run).isFalse();
            });
        }
    }

    @Test
    void aFirstJoinGoesOnWithTheFirstBranchThatGivesTheInputsAndDropsTheRest() throws Exception {
        int j = index(fan, "j");
        try (var h = join(fan, j)) {
            GraphRecord right = record(fan, "r1", row("r.y", 2, 2, 2, 2));
            GraphRecord left = record(fan, "r1", row("l.y", 1, 1, 1, 1));
            h.processElement(right, 0);
            List<GraphRecord> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(out.get(1).run).isTrue();
            assertThat(GraphTensors.decode(out.get(1).tensors)).containsOnlyKeys("r.y");
            assertThat(h.numKeyedStateEntries()).as("counts the branch still to come").isEqualTo(1);
            h.processElement(left, 0);
            assertThat(h.extractOutputValues()).as("the later branch is dropped").hasSize(2);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aFirstJoinIgnoresAFailedBranchWhenAnotherGivesTheInputs() throws Exception {
        int j = index(fan, "j");
        try (var h = join(fan, j)) {
            GraphRecord failed = record(fan, "r1");
            failed.errorCode = ErrorCode.MODEL_ERROR;
            failed.reason = "step 'l' (model echo:1) failed: boom";
            h.processElement(failed, 0);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processElement(record(fan, "r1", row("r.y", 2, 2, 2, 2)), 0);
            assertThat(h.extractOutputValues()).last().satisfies(r -> {
                assertThat(r.failed()).isFalse();
                assertThat(r.run).isTrue();
            });
        }
        try (var h = join(fan, j)) {
            GraphRecord failed = record(fan, "r2");
            failed.errorCode = ErrorCode.MODEL_ERROR;
            failed.reason = "step 'l' (model echo:1) failed: boom";
            h.processElement(failed, 0);
            h.processElement(record(fan, "r2"), 0); // r skipped: gives nothing
            assertThat(h.extractOutputValues()).as("no branch gave the inputs: the failure answers")
                    .singleElement().satisfies(r -> assertThat(r.reason).contains("boom"));
        }
    }

    @Test
    void whatAJoinHoldsSurvivesASnapshotAndRestore() throws Exception {
        int j = index(fanAll, "j");
        OperatorSubtaskState snapshot;
        try (var h = join(fanAll, j)) {
            h.processElement(record(fanAll, "r1", row("l.y", 1, 1, 1, 1)), 0);
            snapshot = h.snapshot(1L, 1L);
        }
        try (var restored = unopenedJoin(fanAll, j)) {
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(record(fanAll, "r1", row("r.y", 2, 2, 2, 2)), 0);
            assertThat(restored.extractOutputValues()).last().satisfies(r -> assertThat(
                    GraphTensors.decode(r.tensors)).containsKeys("l.y", "r.y"));
        }
    }
}
