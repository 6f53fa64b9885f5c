package io.streaminfer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.bridge.config.BridgeConfig;
import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.bridge.jobs.ResultLookup;
import io.streaminfer.bridge.kafka.KafkaClients;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bridge's result lookup on a real broker, for the order the job's two sinks give: a job's final status can be
 * read before its result is (two producers; two transactions under exactly-once). A lookup for a job that has just
 * ended waits for the result instead of answering that there is none; one for a job that ended long ago does not.
 */
class ResultLookupIT {
    private static final String TOPIC = "lookup.results";
    private static final int PARTITIONS = 2;

    private static EmbeddedKafka kafka;
    private static ResultLookup lookup;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        kafka.createTopic(TOPIC, PARTITIONS);
        BridgeConfig config = BridgeConfig.parse(BridgeStack.bridgeYaml(kafka.bootstrapServers(), "lookup", "r1",
                "callbacks:\n  enabled: false\n"), Map.of());
        lookup = new ResultLookup(KafkaClients.assignedConsumer(config, "lookup-it"), TOPIC, 120_000, 100);
    }

    @AfterAll
    static void stop() {
        if (lookup != null) {
            lookup.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aJustEndedJobsResultIsAwaitedUntilItsTransactionCommits() throws Exception {
        String jobId = JobIds.async();
        byte[] body = "{\"id\":\"late\",\"outputs\":[]}".getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = transactional("lookup-it-late")) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(TOPIC, JobIds.resultPartition(jobId, PARTITIONS),
                    jobId.getBytes(StandardCharsets.UTF_8), body)).get(10, TimeUnit.SECONDS);

            long before = lookup.resultsAwaited();
            long now = System.currentTimeMillis();
            CompletableFuture<Optional<Reply>> found = lookup.find(jobId, now - 1_000, now);
            // The lookup has reached the end of what is readable and is waiting: only now does the result commit.
            await().atMost(Duration.ofSeconds(10)).until(() -> lookup.resultsAwaited() > before);
            assertThat(found).isNotDone();
            producer.commitTransaction();

            Optional<Reply> reply = found.get(10, TimeUnit.SECONDS);
            assertThat(reply).as("the result committed while the lookup waited").isPresent();
            assertThat(reply.get().jsonBody()).isEqualTo(body);
        }
    }

    @Test
    void aJobThatEndedLongAgoWithoutAResultOnTheTopicIsAnsweredAtOnce() throws Exception {
        long before = lookup.resultsAwaited();
        long longAgo = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
        Optional<Reply> reply = lookup.find(JobIds.async(), longAgo - 1_000, longAgo).get(10, TimeUnit.SECONDS);
        assertThat(reply).isEmpty();
        assertThat(lookup.resultsAwaited()).as("nothing waited for a result gone with retention").isEqualTo(before);
    }

    @Test
    void aJustEndedJobWhoseResultNeverComesIsAnsweredAfterTheWait() throws Exception {
        long now = System.currentTimeMillis();
        Optional<Reply> reply = lookup.find(JobIds.async(), now - 1_000, now).get(30, TimeUnit.SECONDS);
        assertThat(reply).isEmpty();
    }

    private static KafkaProducer<byte[], byte[]> transactional(String id) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, id), new ByteArraySerializer(), new ByteArraySerializer());
    }
}
