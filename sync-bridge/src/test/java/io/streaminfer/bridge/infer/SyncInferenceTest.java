package io.streaminfer.bridge.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.bridge.kafka.ReplyRouter;
import io.streaminfer.bridge.kafka.RequestPublisher;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.testing.Eventually;
import io.streaminfer.bridge.testing.InMemoryResults;
import io.streaminfer.bridge.testing.TinyRepository;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One sync call, transport aside: a timeout is reported only once the brokers have the request (so the job ID it
 * names yields a result), a request the brokers refuse ends PUBLISH_FAILED, a caller that goes away ends CANCELLED,
 * and every way out frees the call's place. Kafka is in memory; the publish completes when the test says.
 */
class SyncInferenceTest {
    @TempDir
    Path repo;
    Vertx vertx;
    ReplyRouter replies;
    MockProducer<byte[], byte[]> requests;
    SyncInference sync;
    CheckedRequest checked;

    @BeforeEach
    void start() throws Exception {
        TinyRepository.create(repo);
        checked = new RequestChecks(ModelRepository.open(repo)).check("tiny", null, ("{\"inputs\":[{\"name\":\"x\","
                + "\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}").getBytes(StandardCharsets.UTF_8), -1);
        vertx = Vertx.vertx();
        InMemoryResults results = new InMemoryResults("inference.results", 1);
        replies = new ReplyRouter(results, "inference.results", "bridge-0");
        replies.start(List.of(0));
        requests = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        sync = new SyncInference(vertx, new RequestPublisher(requests, "inference.requests"), replies,
                new BridgeMetrics(), new ModelStats(), 2);
    }

    @AfterEach
    void stop() throws Exception {
        replies.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aTimeoutIsReportedOnlyOnceTheBrokersHaveTheRequest() throws Exception {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<SyncInference.Call> started = new CompletableFuture<>();
        context.runOnContext(v -> started.complete(sync.start(checked, 50)));
        SyncInference.Call call = started.get(10, TimeUnit.SECONDS);
        Eventually.until(Duration.ofSeconds(10), () -> requests.history().size() == 1);
        // A timer on the call's event loop due after its 50 ms one: once it runs, the call's timeout has fired.
        CountDownLatch pastTimeout = new CountDownLatch(1);
        context.runOnContext(v -> vertx.setTimer(100, t -> pastTimeout.countDown()));
        assertThat(pastTimeout.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(call.outcome()).as("still waiting: the brokers have not confirmed the publish").isNotDone();
        requests.completeNext();
        SyncInference.Outcome o = call.outcome().get(10, TimeUnit.SECONDS);
        assertThat(o.kind()).isEqualTo(SyncInference.Kind.TIMED_OUT);
        assertThat(o.timeoutMs()).isEqualTo(50);
        Eventually.until(Duration.ofSeconds(10), () -> sync.inFlight() == 0);
    }

    @Test
    void aRequestTheBrokersRefuseEndsPublishFailed() throws Exception {
        SyncInference.Call call = sync.start(checked, 30_000);
        Eventually.until(Duration.ofSeconds(10), () -> requests.history().size() == 1);
        requests.errorNext(new TimeoutException("no broker took it"));
        SyncInference.Outcome o = call.outcome().get(10, TimeUnit.SECONDS);
        assertThat(o.kind()).isEqualTo(SyncInference.Kind.PUBLISH_FAILED);
        assertThat(o.error()).hasMessageContaining("no broker took it");
    }

    @Test
    void callsBeyondTheLimitAreShedAndACallerThatGoesAwayFreesItsPlace() throws Exception {
        SyncInference.Call first = sync.start(checked, 30_000);
        SyncInference.Call second = sync.start(checked, 30_000);
        assertThat(sync.start(checked, 30_000)).as("a third call beyond maxInFlight 2").isNull();
        assertThat(first.jobId()).isNotEqualTo(second.jobId());
        first.cancel();
        assertThat(first.outcome().get(10, TimeUnit.SECONDS).kind()).isEqualTo(SyncInference.Kind.CANCELLED);
        Eventually.until(Duration.ofSeconds(10), () -> sync.inFlight() == 1);
        assertThat(sync.start(checked, 30_000)).as("room again").isNotNull();
    }
}
