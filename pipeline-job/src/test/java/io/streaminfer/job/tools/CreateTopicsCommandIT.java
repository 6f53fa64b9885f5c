package io.streaminfer.job.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.streaminfer.contract.Topics;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The topic tool against a real broker: creates the contract's layout, is idempotent, and checks what exists. */
class CreateTopicsCommandIT {
    private static EmbeddedKafka kafka;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @BeforeEach
    void deleteTopics() {
        for (String t : kafka.listTopics()) {
            if (!t.startsWith("__")) {
                kafka.deleteTopic(t);
            }
        }
        // Deletion completes at the controller first; until the broker's metadata has it too, a topic of the
        // previous test still "exists" for the tool (seen on a busy machine: the non-compacted status topic).
        await().atMost(Duration.ofSeconds(30))
                .until(() -> kafka.listTopics().stream().allMatch(t -> t.startsWith("__")));
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return CreateTopicsCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void createsTheContractsTopicsAndIsIdempotent() throws Exception {
        assertThat(run("--bootstrap-servers", kafka.bootstrapServers())).as(err.toString()).isZero();
        assertThat(out.toString()).contains(Topics.REQUESTS + " ", "created");

        Map<String, TopicDescription> d = describe(Topics.REQUESTS, Topics.RESULTS, Topics.STATUS,
                Topics.DEAD_LETTERS, Topics.CALLBACKS, Topics.TOKENS, Topics.CONTROL);
        assertThat(d.get(Topics.REQUESTS).partitions()).hasSize(Topics.DEFAULT_REQUEST_PARTITIONS);
        assertThat(d.get(Topics.RESULTS).partitions()).hasSize(Topics.DEFAULT_RESULT_PARTITIONS);
        assertThat(d.get(Topics.STATUS).partitions()).hasSize(Topics.DEFAULT_STATUS_PARTITIONS);
        assertThat(d.get(Topics.DEAD_LETTERS).partitions()).hasSize(Topics.DEFAULT_DEAD_LETTER_PARTITIONS);
        assertThat(d.get(Topics.CALLBACKS).partitions()).hasSize(Topics.DEFAULT_CALLBACK_PARTITIONS);
        assertThat(d.get(Topics.TOKENS).partitions()).hasSize(Topics.DEFAULT_TOKEN_PARTITIONS);
        assertThat(d.get(Topics.CONTROL).partitions()).hasSize(Topics.DEFAULT_CONTROL_PARTITIONS);
        assertThat(cleanupPolicy(Topics.STATUS)).isEqualTo("compact");
        assertThat(cleanupPolicy(Topics.CALLBACKS)).isEqualTo("compact");
        Map<String, TopicDescription> batch = describe(Topics.FILES, Topics.FILE_CHUNKS, Topics.BATCHES);
        assertThat(batch.get(Topics.FILES).partitions()).hasSize(Topics.DEFAULT_FILE_PARTITIONS);
        assertThat(batch.get(Topics.FILE_CHUNKS).partitions()).hasSize(Topics.DEFAULT_FILE_CHUNK_PARTITIONS);
        assertThat(batch.get(Topics.BATCHES).partitions()).hasSize(Topics.DEFAULT_BATCH_PARTITIONS);
        for (String t : List.of(Topics.FILES, Topics.FILE_CHUNKS, Topics.BATCHES)) {
            assertThat(cleanupPolicy(t)).as(t).isEqualTo("compact");
        }
        assertThat(cleanupPolicy(Topics.REQUESTS)).isEqualTo("delete");
        assertThat(cleanupPolicy(Topics.RESULTS)).isEqualTo("delete");
        for (String t : List.of(Topics.REQUESTS, Topics.RESULTS, Topics.DEAD_LETTERS, Topics.FILE_CHUNKS)) {
            assertThat(topicConfig(t, "max.message.bytes")).as(t).isEqualTo(Integer.toString(Topics.MAX_MESSAGE_BYTES));
        }

        assertThat(run("--bootstrap-servers", kafka.bootstrapServers())).as(err.toString()).isZero();
        assertThat(out.toString()).doesNotContain("created").contains(Topics.STATUS + " ", "exists");
    }

    @Test
    void namesAndPartitionsCanBeChanged() throws Exception {
        assertThat(run("--bootstrap-servers", kafka.bootstrapServers(), "--topic", "results=team.results",
                "--partitions", "results=2", "--replication-factor", "1")).as(err.toString()).isZero();
        assertThat(describe("team.results").get("team.results").partitions()).hasSize(2);
        assertThat(kafka.listTopics()).doesNotContain(Topics.RESULTS).contains(Topics.REQUESTS);
    }

    @Test
    void anExistingStatusTopicThatIsNotCompactedIsAnError() {
        kafka.createTopic(Topics.STATUS, 1);
        assertThat(run("--bootstrap-servers", kafka.bootstrapServers())).isEqualTo(1);
        assertThat(err.toString()).contains(Topics.STATUS + " exists with cleanup.policy=delete",
                "--add-config cleanup.policy=compact");
        // The others were created all the same.
        assertThat(kafka.listTopics()).contains(Topics.REQUESTS, Topics.RESULTS, Topics.CALLBACKS);
    }

    @Test
    void badArgumentsAndAnUnreachableClusterAreReported() {
        assertThat(run("--topic", "bogus=x")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown key 'bogus'", "requests, results, status");
        assertThat(run("--replication-factor", "0")).isEqualTo(2);

        assertThat(run("--bootstrap-servers", "localhost:1", "--wait-seconds", "2")).isEqualTo(1);
        assertThat(err.toString()).contains("no answer from localhost:1");
    }

    private static Map<String, TopicDescription> describe(String... topics) throws Exception {
        return kafka.admin().describeTopics(List.of(topics)).allTopicNames().get(10, TimeUnit.SECONDS);
    }

    private static String cleanupPolicy(String topic) throws Exception {
        return topicConfig(topic, "cleanup.policy");
    }

    private static String topicConfig(String topic, String key) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c = kafka.admin().describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
        return c.get(key).value();
    }
}
