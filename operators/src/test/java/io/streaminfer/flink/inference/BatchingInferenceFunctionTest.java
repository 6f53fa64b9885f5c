package io.streaminfer.flink.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.Tensor;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.testing.FakeReplica;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The async inference operator in Flink's operator test harness, with fake replicas (allowed here: this is about
 * the operator's contract, not the model): the safety-net timeout ends FAILED, in-flight requests survive a snapshot
 * and restore, requests are answered with their own IDs.
 */
class BatchingInferenceFunctionTest {
    static final long TIMEOUT_MS = 300;
    /** Static: the factory is serialized with the function, the latch must be shared. */
    static final ConcurrentHashMap<String, CountDownLatch> GATES = new ConcurrentHashMap<>();
    static final List<String> SEEN = java.util.Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void openGates() {
        GATES.values().forEach(l -> l.countDown());
        GATES.clear();
        SEEN.clear();
    }

    /** Blocks every call until the test's gate opens; echoes an empty response. */
    static ReplicaSource gated(String gate) {
        return (v, options) -> new FakeReplica(v) {
            @Override
            public List<Prediction> predictPrepared(List<PreparedRequest> batch, long maxBatchCost) {
                for (PreparedRequest r : batch) {
                    SEEN.add(r.id());
                }
                try {
                    GATES.get(gate).await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                List<Prediction> out = new ArrayList<>();
                for (PreparedRequest r : batch) {
                    out.add(Prediction.success(new InferenceResponse(v.name(), v.version(), r.id(), null,
                            List.of())));
                }
                return out;
            }
        };
    }

    static OneInputStreamOperatorTestHarness<RequestEnvelope, Outcome> harness(ReplicaSource factory)
            throws Exception {
        return harness(factory, 600_000);
    }

    /** As the pipeline builds it: the operator without a timeout (0), the function with its own safety net. */
    static OneInputStreamOperatorTestHarness<RequestEnvelope, Outcome> harness(ReplicaSource factory, long timeoutMs)
            throws Exception {
        InferenceSettings settings = InferenceSettings.builder().modelsDir(TestModels.modelsDir().toString())
                .models(Set.of(TestModels.TINY_MLP)).timeoutMs(timeoutMs).retries(2).retryDelayMs(10).replicas(factory)
                .build();
        AsyncWaitOperatorFactory<RequestEnvelope, Outcome> operator = new AsyncWaitOperatorFactory<>(
                new BatchingInferenceFunction(settings), 0, 16, AsyncDataStream.OutputMode.UNORDERED);
        return new OneInputStreamOperatorTestHarness<>(operator,
                TypeInformation.of(RequestEnvelope.class).createSerializer(new SerializerConfigImpl()));
    }

    static RequestEnvelope envelope(String id) {
        RequestEnvelope r = new RequestEnvelope();
        r.id = id;
        r.responseId = id;
        r.model = TestModels.TINY_MLP;
        r.modelVersion = "1";
        r.prepared = PreparedRequestCodec.encode(Preparers.load(TestModels.repository().resolve(TestModels.TINY_MLP,
                null)).prepare(new InferenceRequest(id, List.of(
                Tensor.ofFloats("features", new long[] {1, 4}, new float[] {1, 2, 3, 4})))));
        r.priority = Integer.MAX_VALUE;
        r.deadlineMs = Long.MAX_VALUE;
        return r;
    }

    static List<Outcome> outcomes(OneInputStreamOperatorTestHarness<RequestEnvelope, Outcome> h) {
        List<Outcome> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord) {
                out.add((Outcome) ((StreamRecord<?>) o).getValue());
            }
        }
        return out;
    }

    @Test
    @org.junit.jupiter.api.Timeout(60) // without the safety net endInput() would wait for ever
    void theSafetyNetTimeoutEndsInAFailedOutcomeNotAJobFailure() throws Exception {
        GATES.put("t", new CountDownLatch(1));
        try (var h = harness(gated("t"), TIMEOUT_MS)) {
            h.open();
            h.processElement(new StreamRecord<>(envelope("slow"), 0));
            // The only worker is now busy with "slow", so the next request stays queued.
            org.awaitility.Awaitility.await().until(() -> SEEN.contains("slow"));
            h.processElement(new StreamRecord<>(envelope("queued-behind"), 0));
            h.endInput(); // waits for both answers: only the safety net can give them, the gate stays shut
            List<Outcome> out = outcomes(h);
            assertThat(out).extracting(o -> o.id).containsExactlyInAnyOrder("slow", "queued-behind");
            assertThat(out).allSatisfy(o -> {
                assertThat(o.state).isEqualTo(RequestState.FAILED);
                assertThat(o.errorCode).isEqualTo(ErrorCode.TIMEOUT);
                assertThat(o.reason).startsWith("safety net: no result within " + TIMEOUT_MS + " ms");
                assertThat(OipJson.isError(o.result)).isTrue();
            });
            GATES.get("t").countDown();
        }
        // The request that timed out while queued was cancelled before it reached the model.
        assertThat(SEEN).containsExactly("slow");
    }

    /** Fails each request's first {@code failures} calls with INTERNAL (a fault of ours), then answers it. */
    static ReplicaSource flaky(int failures) {
        ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> calls = new ConcurrentHashMap<>();
        return (v, options) -> new FakeReplica(v) {
            @Override
            public List<Prediction> predictPrepared(List<PreparedRequest> batch, long maxBatchCost) {
                List<Prediction> out = new ArrayList<>();
                for (PreparedRequest r : batch) {
                    SEEN.add(r.id());
                    int call = calls.computeIfAbsent(r.id(), k -> new java.util.concurrent.atomic.AtomicInteger())
                            .incrementAndGet();
                    out.add(call <= failures ? Prediction.failure(ErrorCode.INTERNAL, "flaky " + call)
                            : Prediction.success(new InferenceResponse(v.name(), v.version(), r.id(), null,
                                    List.of())));
                }
                return out;
            }
        };
    }

    @Test
    void transientFaultsAreTriedAgainUpToTheRetries() throws Exception {
        try (var h = harness(flaky(2))) { // two retries: the third call answers
            h.open();
            h.processElement(new StreamRecord<>(envelope("recovers"), 0));
            h.endInput();
            assertThat(outcomes(h)).singleElement().satisfies(o -> {
                assertThat(o.id).isEqualTo("recovers");
                assertThat(o.state).isEqualTo(RequestState.SUCCEEDED);
            });
        }
        assertThat(SEEN).containsExactly("recovers", "recovers", "recovers");
        SEEN.clear();
        try (var h = harness(flaky(3))) { // one failure more than the retries: the last one is the answer
            h.open();
            h.processElement(new StreamRecord<>(envelope("gives-up"), 0));
            h.endInput();
            assertThat(outcomes(h)).singleElement().satisfies(o -> {
                assertThat(o.state).isEqualTo(RequestState.FAILED);
                assertThat(o.errorCode).isEqualTo(ErrorCode.INTERNAL);
                assertThat(o.reason).contains("flaky 3");
            });
        }
        assertThat(SEEN).hasSize(3);
    }

    @Test
    void inFlightRequestsSurviveSnapshotAndRestore() throws Exception {
        GATES.put("never", new CountDownLatch(1));
        OperatorSubtaskState snapshot;
        try (var h = harness(gated("never"))) {
            h.open();
            for (String id : List.of("a", "b", "c")) {
                h.processElement(new StreamRecord<>(envelope(id), 0));
            }
            snapshot = h.snapshot(1L, 1L);
            assertThat(outcomes(h)).isEmpty();
        }
        GATES.put("open", new CountDownLatch(0));
        try (var restored = harness(gated("open"))) {
            restored.initializeState(snapshot);
            restored.open();
            restored.endInput();
            List<Outcome> out = outcomes(restored);
            assertThat(out).extracting(o -> o.id).containsExactlyInAnyOrder("a", "b", "c");
            assertThat(out).allMatch(o -> o.state == RequestState.SUCCEEDED);
            assertThat(out).allSatisfy(o -> assertThat(OipJson.parseResponse(o.result).id()).isEqualTo(o.id));
        }
    }

    @Test
    void requestsAreAnsweredWithTheirOwnIdsAndUnknownVersionsFailAlone() throws Exception {
        GATES.put("go", new CountDownLatch(0));
        try (var h = harness(gated("go"))) {
            h.open();
            RequestEnvelope unknown = envelope("v9");
            unknown.modelVersion = "9";
            h.processElement(new StreamRecord<>(envelope("x"), 0));
            h.processElement(new StreamRecord<>(unknown, 0));
            h.processElement(new StreamRecord<>(envelope("y"), 0));
            h.endInput();
            List<Outcome> out = outcomes(h);
            assertThat(out).hasSize(3);
            assertThat(out).filteredOn(o -> o.id.equals("v9")).singleElement()
                    .satisfies(o -> assertThat(o.errorCode).isEqualTo(ErrorCode.UNKNOWN_MODEL));
            assertThat(out).filteredOn(o -> o.state == RequestState.SUCCEEDED).extracting(o -> o.id)
                    .containsExactlyInAnyOrder("x", "y");
        }
    }
}
