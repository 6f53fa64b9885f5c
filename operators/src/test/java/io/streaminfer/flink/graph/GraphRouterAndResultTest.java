package io.streaminfer.flink.graph;

import static io.streaminfer.flink.graph.GraphFixture.label;
import static io.streaminfer.flink.graph.GraphFixture.record;
import static io.streaminfer.flink.graph.GraphFixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.GraphRecord;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.RequestEnvelope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Where graph requests enter their graph (the router) and leave it (outcomes, dead letters), in Flink's harness. */
class GraphRouterAndResultTest {
    static Path repo;
    static GraphPlan chain;

    @BeforeAll
    static void plans() {
        repo = GraphFixture.create();
        chain = GraphFixture.plan(repo, "chain");
    }

    static List<GraphRecord> routed(org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness<?, ?> h) {
        return h.getSideOutput(GraphRouter.tag(chain)).stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void graphRequestsGoToTheirGraphBehindTheirAcceptedAndEntryProgressOthersGoOn() throws Exception {
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new GraphRouter(List.of(chain), true))) {
            RequestEnvelope request = GraphFixture.request(repo, "chain", "g1", new float[] {1, 2, 3, 4},
                    new float[] {5, 6, 7, 8});
            RequestEnvelope accepted = RequestEnvelope.carrying(Outcomes.accepted(request, 3_000));
            RequestEnvelope oneStep = GraphFixture.request(repo, "chain", "m1", new float[4], new float[4]);
            oneStep.model = "echo";
            h.processElement(accepted, 0);
            h.processElement(request, 0);
            h.processElement(oneStep, 0);
            RequestEnvelope expired = RequestEnvelope.carrying(Outcomes.failure(request, ErrorCode.DEADLINE_EXCEEDED,
                    "late", 3_000));
            h.processElement(expired, 0);

            assertThat(h.extractOutputValues()).extracting(e -> e.id).as("one-step and decided finals go on")
                    .containsExactly("m1", "g1");
            List<GraphRecord> graph = routed(h);
            assertThat(graph).extracting(r -> r.progress == null ? "request" : r.progress + " " + r.progressStep)
                    .containsExactly("ACCEPTED null", "RUNNING s1", "RUNNING sb", "request");
            assertThat(graph.get(0).replyTo).isEqualTo("bridge-1");
            GraphRecord g = graph.get(3);
            assertThat(g.graph).isEqualTo("chain");
            assertThat(g.responseId).isEqualTo("resp-g1");
            assertThat(g.steps).hasSize(3).containsOnly(GraphRecord.NOT_REACHED);
            assertThat(GraphTensors.decode(g.tensors).get("b").floats()).containsExactly(5, 6, 7, 8);
        }
    }

    @Test
    void aRequestThroughEveryBranchBecomesTheGraphsResponseSayingWhichStepsRan() throws Exception {
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new GraphResult(chain))) {
            GraphRecord done = record(chain, "g1", row("a", 1, 2, 3, 4), row("s1.y", 1, 2, 3, 4),
                    label("s1.label", 2), label("sb.label", 7));
            done.steps[0] = GraphRecord.RAN;
            done.steps[1] = GraphRecord.SKIPPED;
            done.steps[2] = GraphRecord.RAN;
            done.queueMicros[0] = 10;
            done.modelMicros[0] = 100;
            done.modelMicros[2] = 50;
            h.processElement(done, 0);
            Outcome o = h.extractOutputValues().get(0);
            assertThat(o.state).isEqualTo(RequestState.SUCCEEDED);
            assertThat(o.modelMicros).isEqualTo(150);
            assertThat(o.queueMicros).isEqualTo(10);
            InferenceResponse r = OipJson.parseResponse(o.result);
            assertThat(r.modelName()).isEqualTo("chain");
            assertThat(r.modelVersion()).isEqualTo("1");
            assertThat(r.output("y").floats()).as("s2 was skipped: the next source").containsExactly(1, 2, 3, 4);
            assertThat(r.output("y").parameters()).containsEntry("step", "s1");
            assertThat(r.output("label").longs()).containsExactly(7);
            assertThat(r.parameters()).containsEntry("steps_run", "s1,sb").containsEntry("steps_skipped", "s2");
        }
    }

    @Test
    void aFailedRequestEndsFailedWithItsStepAndADeadLetterOfItsInputs() throws Exception {
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new GraphResult(chain))) {
            GraphRecord failed = record(chain, "g2", row("a", 1, 2, 3, 4), row("b", -1, 0, 0, 0),
                    row("s1.y", 1, 2, 3, 4));
            failed.errorCode = ErrorCode.MODEL_ERROR;
            failed.reason = "step 'sb' (model echo:1) failed: boom";
            failed.failedStep = "sb";
            h.processElement(failed, 0);
            GraphRecord late = record(chain, "g3");
            late.errorCode = ErrorCode.DEADLINE_EXCEEDED;
            late.reason = "deadline passed";
            late.failedStep = "s1";
            h.processElement(late, 0);
            h.processElement(failed.progress(RequestState.RUNNING, "s2", 1), 0);

            List<Outcome> out = h.extractOutputValues();
            assertThat(out.get(0).state).isEqualTo(RequestState.FAILED);
            assertThat(out.get(0).step).isEqualTo("sb");
            assertThat(OipJson.isError(out.get(0).result)).isTrue();
            assertThat(out.get(1).state).as("an expiry is no step's failure").isEqualTo(RequestState.EXPIRED);
            assertThat(out.get(2).state).isEqualTo(RequestState.RUNNING);
            assertThat(out.get(2).step).isEqualTo("s2");
            assertThat(out.get(2).kind()).isEqualTo(Outcome.Kind.PROGRESS);
            List<Rejection> dead = h.getSideOutput(GraphResult.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).as("only the failure writes a dead letter").singleElement().satisfies(d -> {
                assertThat(d.errorCode).isEqualTo(ErrorCode.MODEL_ERROR);
                assertThat(d.reason).isEqualTo("step 'sb' (model echo:1) failed: boom");
                assertThat(d.record.header(KafkaContract.HEADER_STEP)).isEqualTo("sb");
                assertThat(d.record.header(KafkaContract.HEADER_MODEL)).isEqualTo("chain");
                assertThat(new String(d.record.key, StandardCharsets.UTF_8)).isEqualTo("g2");
                InferenceRequest inputs = OipJson.parseRequest(d.record.value);
                assertThat(inputs.inputs()).extracting(t -> t.name()).containsExactly("a", "b");
                assertThat(inputs.input("b").floats()).containsExactly(-1, 0, 0, 0);
            });
        }
    }
}
