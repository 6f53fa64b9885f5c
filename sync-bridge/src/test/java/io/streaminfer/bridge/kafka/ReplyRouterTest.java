package io.streaminfer.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.bridge.testing.Eventually;
import io.streaminfer.bridge.testing.InMemoryResults;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.KafkaContract;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Correlation of sync replies: each caller gets the result record keyed by its job ID, and no other. */
class ReplyRouterTest {
    static final String TOPIC = "inference.results";
    final InMemoryResults results = new InMemoryResults(TOPIC, 4);
    final ReplyRouter router = new ReplyRouter(results, TOPIC, "bridge-0");

    @AfterEach
    void close() {
        router.close();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eachCallerGetsTheReplyKeyedByItsJobIdAndNoOther() throws Exception {
        router.start(List.of(1, 3));
        CompletableFuture<Reply> first = router.register("job-1");
        CompletableFuture<Reply> second = router.register("job-2");
        results.reply(3, "job-2", utf8("{\"id\":\"b\"}"), null, KafkaContract.HEADER_TIMING_QUEUE_US, "1500");
        Reply two = second.get(10, TimeUnit.SECONDS);
        assertThat(two.body()).isEqualTo(utf8("{\"id\":\"b\"}"));
        assertThat(two.isSuccess()).isTrue();
        assertThat(two.queueUs()).isEqualTo(1500);
        assertThat(first).as("another job's reply is not the first caller's").isNotDone();

        results.reply(1, "job-1", utf8("{\"error\":\"boom\"}"), ErrorCode.MODEL_ERROR.name());
        Reply one = first.get(10, TimeUnit.SECONDS);
        assertThat(one.errorCode()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(router.unclaimed()).isZero();
    }

    @Test
    void aReplyNobodyWaitsForIsCountedAndDropped() {
        router.start(List.of(0));
        CompletableFuture<Reply> gone = router.register("job-gone");
        router.forget("job-gone"); // the caller timed out or hung up
        results.reply(0, "job-gone", utf8("{}"), null);
        results.reply(0, "another-replicas-job", utf8("{}"), null);
        Eventually.until(Duration.ofSeconds(10), () -> router.unclaimed() == 2);
        assertThat(gone).isNotDone();
    }

    @Test
    void requestsNameTheReplicasOwnPartitionsInTurnOnceItReads() {
        assertThatThrownBy(router::nextPartition).hasMessageContaining("not ready");
        assertThatThrownBy(() -> router.start(List.of())).hasMessageContaining("at least one partition");
        router.start(List.of(2, 0));
        assertThat(List.of(router.nextPartition(), router.nextPartition(), router.nextPartition()))
                .containsExactly(2, 0, 2);
        assertThat(router.replicaId()).isEqualTo("bridge-0");
        assertThat(router.isRunning()).isTrue();
    }

    @Test
    void closingFailsTheCallersStillWaiting() {
        router.start(List.of(0));
        CompletableFuture<Reply> waiting = router.register("job-1");
        router.close();
        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("shutting down");
    }
}
