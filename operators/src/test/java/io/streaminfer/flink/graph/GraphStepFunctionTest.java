package io.streaminfer.flink.graph;

import static io.streaminfer.flink.graph.GraphFixture.record;
import static io.streaminfer.flink.graph.GraphFixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.Tensor;
import io.streaminfer.flink.inference.BatchingInferenceFunction;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.inference.ReplicaSource;
import io.streaminfer.flink.ingest.PreparerFactory;
import io.streaminfer.flink.records.GraphRecord;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.testing.FakeReplica;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A graph step as an async operator in Flink's harness, with a stand-in for its model (this is about the step's
 * contract, not the model): outputs join the record under the step's name, failures and timeouts name the step,
 * the deadline bounds it, and steps of one subtask share one replica and batcher per model.
 */
class GraphStepFunctionTest {
    static final long SAFETY_NET_MS = 60_000;
    /** Static: the stand-in factory is serialized with the function. */
    static final ConcurrentHashMap<String, CountDownLatch> GATES = new ConcurrentHashMap<>();
    static final AtomicInteger CREATED = new AtomicInteger();
    static Path repo;
    static GraphPlan chain;

    @BeforeAll
    static void plans() {
        repo = GraphFixture.create();
        chain = GraphFixture.plan(repo, "chain");
    }

    @AfterEach
    void openGates() {
        GATES.values().forEach(CountDownLatch::countDown);
        GATES.clear();
        CREATED.set(0);
    }

    /** y = x and label 1, once the gate (if any) opens; x[0] == -1 fails the row's request. */
    static ReplicaSource echo(String gate) {
        return (v, options) -> {
            CREATED.incrementAndGet();
            return new FakeReplica(v) {
                @Override
                public List<Prediction> predictPrepared(List<PreparedRequest> batch, long maxBatchCost) {
                    CountDownLatch g = gate == null ? null : GATES.get(gate);
                    if (g != null) {
                        try {
                            g.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    List<Prediction> out = new ArrayList<>();
                    for (PreparedRequest r : batch) {
                        Tensor x = r.request().input("x");
                        if (x.floats()[0] == -1) {
                            out.add(Prediction.failure(ErrorCode.MODEL_ERROR, "model call failed: boom"));
                            continue;
                        }
                        out.add(Prediction.success(new InferenceResponse(v.name(), v.version(), r.id(), null,
                                List.of(new Tensor("y", Datatype.FP32, x.shape(), x.data()),
                                        labels((int) x.dim(0))))));
                    }
                    return out;
                }
            };
        };
    }

    static Tensor labels(int rows) {
        long[] v = new long[rows];
        java.util.Arrays.fill(v, 1);
        return new Tensor("label", Datatype.INT64, new long[] {rows}, v);
    }

    static InferenceSettings settings(ReplicaSource replicas) {
        return InferenceSettings.builder().modelsDir(repo.toString()).timeoutMs(SAFETY_NET_MS).replicas(replicas)
                .build();
    }

    static int index(String step) {
        return GatesAndJoinsTest.index(chain, step);
    }

    static <I, O> OneInputStreamOperatorTestHarness<I, O> harness(AsyncFunction<I, O> f, Class<I> in, long timeout,
            MockEnvironment env) throws Exception {
        AsyncWaitOperatorFactory<I, O> operator = new AsyncWaitOperatorFactory<>(f, timeout, 16,
                AsyncDataStream.OutputMode.UNORDERED);
        var serializer = TypeInformation.of(in).createSerializer(new SerializerConfigImpl());
        return env == null ? new OneInputStreamOperatorTestHarness<>(operator, serializer)
                : new OneInputStreamOperatorTestHarness<>(operator, serializer, env);
    }

    static OneInputStreamOperatorTestHarness<GraphRecord, GraphRecord> step(String name, ReplicaSource replicas)
            throws Exception {
        // As the topology builds it: no operator timeout; the step's own (or the safety net) is the function's.
        return harness(new GraphStepFunction(chain, index(name), settings(replicas), PreparerFactory.real()),
                GraphRecord.class, 0, null);
    }

    static GraphRecord toRun(GraphRecord r) {
        r.run = true;
        return r;
    }

    @Test
    void aStepRunsItsModelOnRenamedInputsAndItsOutputsJoinTheRecordUnderItsName() throws Exception {
        try (var h = step("s2", echo(null))) {
            h.open();
            h.processElement(new StreamRecord<>(toRun(record(chain, "r1", row("a", 9, 9, 9, 9),
                    row("s1.y", 1, 2, 3, 4))), 0));
            h.endInput();
            GraphRecord out = h.extractOutputValues().get(0);
            assertThat(out.failed()).isFalse();
            assertThat(out.run).isFalse();
            assertThat(out.steps[index("s2")]).isEqualTo(GraphRecord.RAN);
            assertThat(out.modelMicros[index("s2")]).isNotNegative();
            var tensors = GraphTensors.decode(out.tensors);
            assertThat(tensors).containsKeys("a", "s1.y", "s2.y", "s2.label");
            assertThat(tensors.get("s2.y").floats()).as("its input x came from s1.y").containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void recordsTheGateDidNotLetRunPassThroughWithoutTheModel() throws Exception {
        GATES.put("never", new CountDownLatch(1));
        try (var h = step("s2", echo("never"))) {
            h.open();
            GraphRecord skipped = record(chain, "r1", row("s1.y", 1, 2, 3, 4));
            skipped.steps[index("s2")] = GraphRecord.SKIPPED;
            h.processElement(new StreamRecord<>(skipped, 0));
            h.processElement(new StreamRecord<>(skipped.progress(io.streaminfer.contract.RequestState.RUNNING,
                    "s1", index("s1")), 0));
            h.endInput();
            assertThat(h.extractOutputValues()).hasSize(2);
            assertThat(h.extractOutputValues().get(0).steps[index("s2")]).isEqualTo(GraphRecord.SKIPPED);
        }
    }

    @Test
    void aFailingModelFailsTheRequestNamingTheStepItsModelAndTheReason() throws Exception {
        try (var h = step("s1", echo(null))) {
            h.open();
            h.processElement(new StreamRecord<>(toRun(record(chain, "bad", row("a", -1, 0, 0, 0))), 0));
            h.endInput();
            GraphRecord out = h.extractOutputValues().get(0);
            assertThat(out.errorCode).isEqualTo(ErrorCode.MODEL_ERROR);
            assertThat(out.reason).isEqualTo("step 's1' (model echo:1) failed: model call failed: boom");
            assertThat(out.failedStep).isEqualTo("s1");
            assertThat(out.steps[index("s1")]).isEqualTo(GraphRecord.FAILED);
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60) // endInput() waits for the answer: only the step's timeout can give it
    void aStepPastItsTimeoutFailsWithTimeoutNamingTheStep() throws Exception {
        GATES.put("slow", new CountDownLatch(1));
        try (var h = step("s2", echo("slow"))) {
            h.open();
            h.processElement(new StreamRecord<>(toRun(record(chain, "slow", row("s1.y", 1, 2, 3, 4))), 0));
            h.endInput();
            GraphRecord out = h.extractOutputValues().get(0);
            assertThat(out.errorCode).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(out.reason).isEqualTo("step 's2' (model echo:1) did not finish within its timeout_ms of 500 ms");
            assertThat(out.failedStep).isEqualTo("s2");
        }
    }

    @Test
    void aTransientFaultOfOursIsTriedAgainAsForOneStepRequests() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        ReplicaSource flakyOnce = (v, options) -> {
            ModelReplica echo = echo(null).create(v, options);
            return new FakeReplica(v) {
                @Override
                public List<Prediction> predictPrepared(List<PreparedRequest> batch, long maxBatchCost) {
                    return calls.incrementAndGet() == 1 ? List.of(Prediction.failure(ErrorCode.INTERNAL, "flaky"))
                            : echo.predictPrepared(batch, maxBatchCost);
                }
            };
        };
        try (var h = step("s1", flakyOnce)) {
            h.open();
            h.processElement(new StreamRecord<>(toRun(record(chain, "r1", row("a", 1, 2, 3, 4))), 0));
            h.endInput();
            GraphRecord out = h.extractOutputValues().get(0);
            assertThat(out.failed()).as("the second try answered").isFalse();
            assertThat(out.steps[index("s1")]).isEqualTo(GraphRecord.RAN);
        }
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void theRequestsDeadlineBoundsEveryStep() throws Exception {
        try (var h = step("s1", echo(null))) {
            h.open();
            GraphRecord late = toRun(record(chain, "late", row("a", 1, 2, 3, 4)));
            late.deadlineMs = System.currentTimeMillis() - 1_000;
            h.processElement(new StreamRecord<>(late, 0));
            h.endInput();
            GraphRecord out = h.extractOutputValues().get(0);
            assertThat(out.errorCode).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
            assertThat(out.reason).contains("before step 's1' (model echo:1) ran; the model was not run");
        }
    }

    @Test
    void aRequestInAStepAtACheckpointResumesInThatStepAfterARestore() throws Exception {
        GATES.put("never", new CountDownLatch(1));
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
        try (var h = step("s2", echo("never"))) {
            h.open();
            GraphRecord r = toRun(record(chain, "r1", row("a", 9, 9, 9, 9), row("s1.y", 1, 2, 3, 4)));
            r.steps[index("s1")] = GraphRecord.RAN;
            h.processElement(new StreamRecord<>(r, 0));
            snapshot = h.snapshot(1L, 1L);
            assertThat(h.extractOutputValues()).isEmpty();
        }
        try (var restored = step("s2", echo(null))) {
            restored.initializeState(snapshot);
            restored.open();
            restored.endInput();
            GraphRecord out = restored.extractOutputValues().get(0);
            assertThat(out.steps[index("s1")]).as("s1's work came back with the record").isEqualTo(GraphRecord.RAN);
            assertThat(out.steps[index("s2")]).isEqualTo(GraphRecord.RAN);
            assertThat(GraphTensors.decode(out.tensors).get("s2.y").floats()).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void stepsAndOneStepInferenceOfASubtaskShareOneReplicaPerModel() throws Exception {
        JobID job = new JobID();
        ReplicaSource replicas = echo(null);
        MockEnvironment e1 = new MockEnvironmentBuilder().setJobID(job).build();
        MockEnvironment e2 = new MockEnvironmentBuilder().setJobID(job).build();
        MockEnvironment e3 = new MockEnvironmentBuilder().setJobID(job).build();
        try (var s1 = harness(new GraphStepFunction(chain, index("s1"), settings(replicas), PreparerFactory.real()),
                GraphRecord.class, 0, e1);
                var sb = harness(new GraphStepFunction(chain, index("sb"), settings(replicas),
                        PreparerFactory.real()), GraphRecord.class, 0, e2);
                var oneStep = harness(new BatchingInferenceFunction(settings(replicas)), RequestEnvelope.class,
                        0, e3)) {
            s1.open();
            sb.open();
            oneStep.open();
            assertThat(CREATED.get()).as("one replica of echo:1 for the subtask").isEqualTo(1);
            s1.processElement(new StreamRecord<>(toRun(record(chain, "r1", row("a", 1, 2, 3, 4))), 0));
            sb.processElement(new StreamRecord<>(toRun(record(chain, "r1", row("b", 5, 6, 7, 8))), 0));
            s1.endInput();
            sb.endInput();
            assertThat(GraphTensors.decode(s1.extractOutputValues().get(0).tensors).get("s1.y").floats())
                    .containsExactly(1, 2, 3, 4);
            assertThat(GraphTensors.decode(sb.extractOutputValues().get(0).tensors).get("sb.y").floats())
                    .containsExactly(5, 6, 7, 8);
        }
        try (var again = harness(new GraphStepFunction(chain, index("s1"), settings(replicas),
                PreparerFactory.real()), GraphRecord.class, 0,
                new MockEnvironmentBuilder().setJobID(job).build())) {
            again.open();
            assertThat(CREATED.get()).as("the last user closed the replica; the next one loads anew").isEqualTo(2);
        }
    }
}
