package io.streaminfer.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BridgeConfigTest {
    private static final String SECRET = "0123456789abcdef-secret";
    private static final Map<String, String> SECRET_ENV = Map.of(BridgeConfig.ENV_CALLBACK_SECRET, SECRET);

    @TempDir
    Path models;

    /** The smallest file that validates: the models folder (the default, deploy/models, is relative to the cwd). */
    private String base() {
        return "replica-id: bridge-0\nmodels-dir: '" + models + "'\n";
    }

    @Test
    void defaultsFromMinimalYaml() {
        BridgeConfig c = BridgeConfig.parse(base(), SECRET_ENV);

        assertThat(c.replicaId).isEqualTo("bridge-0");
        assertThat(c.modelsDir).isEqualTo(models.toString());
        assertThat(c.http.host).isEqualTo("0.0.0.0");
        assertThat(c.http.port).isEqualTo(8080);
        assertThat(c.http.maxBodyBytes).isEqualTo(4 << 20);
        assertThat(c.http.maxInFlight).isEqualTo(10_000);
        assertThat(c.http.retryAfterSeconds).isEqualTo(1);
        assertThat(c.kafka.bootstrapServers).isEqualTo("localhost:9092");
        assertThat(c.kafka.jobGroupId).isEqualTo("streaminfer-job");
        assertThat(c.kafka.properties).isEmpty();
        assertThat(c.topics.requests).isEqualTo(Topics.REQUESTS);
        assertThat(c.topics.results).isEqualTo(Topics.RESULTS);
        assertThat(c.topics.status).isEqualTo(Topics.STATUS);
        assertThat(c.topics.callbacks).isEqualTo(Topics.CALLBACKS);
        assertThat(c.reply.partitions).isEmpty();
        assertThat(c.timeouts.defaultMs).isEqualTo(30_000);
        assertThat(c.timeouts.maxMs).isEqualTo(300_000);
        assertThat(c.auth.tokens).isEmpty();
        assertThat(c.jobs.maxTracked).isEqualTo(200_000);
        assertThat(c.callbacks.enabled).isTrue();
        assertThat(c.callbacks.secret).isEqualTo(SECRET);
        assertThat(c.callbacks.maxAttempts).isEqualTo(6);
        assertThat(c.callbacks.allow).isEmpty();
        assertThat(c.readiness.requireJob).isTrue();
        assertThat(c.readiness.jobGoneGraceMs).isEqualTo(30_000);
        assertThat(c.kafkaClientProperties()).containsExactly(Map.entry("bootstrap.servers", "localhost:9092"));
    }

    @Test
    void tracingIsOffByDefaultAndItsProblemsAreListed() {
        assertThat(BridgeConfig.parse(base(), SECRET_ENV).tracing.enabled).isFalse();
        BridgeConfig on = BridgeConfig.parse(base() + "tracing:\n  enabled: true\n  exporter: zipkin\n", SECRET_ENV);
        assertThat(on.tracing.settings().exporter()).isEqualTo(io.streaminfer.tracing.TracingSettings.Exporter.ZIPKIN);
        assertThatThrownBy(() -> BridgeConfig.parse(base() + "tracing:\n  sampler-ratio: -1\n  endpoint: x\n",
                SECRET_ENV)).hasMessageContaining("tracing.sampler-ratio").hasMessageContaining("tracing.endpoint");
    }

    @Test
    void replicaIdDefaultsToSomethingValid() {
        BridgeConfig c = BridgeConfig.parse("models-dir: '" + models + "'\n", SECRET_ENV);
        assertThat(c.replicaId).isNotBlank();
    }

    @Test
    void emptyYamlUsesDefaultsAndReportsOnlyWhatIsMissing() {
        // Empty YAML is accepted as "all defaults"; the default models-dir is relative and absent in the test cwd,
        // and callbacks are on by default without a secret: exactly those are reported.
        assertThat(Files.isDirectory(Path.of(new BridgeConfig().modelsDir))).isFalse();
        assertThatThrownBy(() -> BridgeConfig.parse("", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid bridge config:")
                .hasMessageContaining("models-dir 'deploy/models' is not a directory")
                .hasMessageContaining("callbacks.secret")
                .hasMessageNotContaining("http.port");
    }

    @Test
    void kebabCaseKeysAreRead() {
        BridgeConfig c = BridgeConfig.parse(base()
                + "http: {port: 0, max-body-bytes: 2048, max-in-flight: 5, retry-after-seconds: 3}\n"
                + "kafka:\n  bootstrap-servers: broker:9093\n  properties: {security.protocol: SSL}\n"
                + "reply: {partitions: [0, 2]}\n"
                + "timeouts: {default-ms: 100, max-ms: 100}\n"
                + "callbacks: {enabled: false}\n", Map.of());
        assertThat(c.http.port).isZero();
        assertThat(c.http.maxBodyBytes).isEqualTo(2048);
        assertThat(c.http.maxInFlight).isEqualTo(5);
        assertThat(c.http.retryAfterSeconds).isEqualTo(3);
        assertThat(c.reply.partitions).containsExactly(0, 2);
        assertThat(c.timeouts.defaultMs).isEqualTo(100);
        assertThat(c.callbacks.enabled).isFalse();
        assertThat(c.callbacks.secret).isNull();
        assertThat(c.kafkaClientProperties()).containsEntry("security.protocol", "SSL")
                .containsEntry("bootstrap.servers", "broker:9093");
    }

    @Test
    void streamsAndGenerationHaveDefaultsAndTheirProblemsAreListed() {
        BridgeConfig c = BridgeConfig.parse(base() + "timeouts: {max-ms: 60000}\n", SECRET_ENV);
        assertThat(c.streams.maxOpen).isEqualTo(256);
        assertThat(c.streams.keepAliveMs).isEqualTo(15_000);
        assertThat(c.topics.tokens).isEqualTo("inference.tokens");
        assertThat(c.topics.control).isEqualTo("inference.control");
        assertThat(c.generationTimeoutMs()).as("capped by timeouts.max-ms").isEqualTo(60_000);
        assertThatThrownBy(() -> BridgeConfig.parse(base() + "streams: {max-open: 0, keep-alive-ms: 10}\n"
                + "generation: {timeout-ms: 0}\ntopics: {tokens: ''}\n", SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("streams.max-open must be positive")
                .hasMessageContaining("streams.keep-alive-ms must be at least 100")
                .hasMessageContaining("generation.timeout-ms must be positive")
                .hasMessageContaining("topics.tokens is empty");
    }

    @Test
    void batchesHaveOpenAisLimitsByDefaultAndTheirProblemsAreListed() {
        BridgeConfig c = BridgeConfig.parse(base(), SECRET_ENV);
        assertThat(c.batches.enabled).isTrue();
        assertThat(c.batches.maxFileBytes).isEqualTo(200L << 20);
        assertThat(c.batches.maxFileLines).isEqualTo(50_000);
        assertThat(c.batches.completionWindows).containsExactly("24h");
        assertThat(c.batches.onlinePriority).as("one level above the default, where batch lines run")
                .isEqualTo(Integer.MAX_VALUE - 1);
        assertThat(c.topics.batches).isEqualTo("inference.batches");
        assertThat(BridgeConfig.completionWindowMs("30m")).isEqualTo(1_800_000);
        assertThatThrownBy(() -> BridgeConfig.parse(base() + "batches: {completion-windows: [24h, 1d], "
                + "min-window: 8, max-window: 4, online-priority: -1}\ntopics: {file-chunks: ''}\n", SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batches.completion-windows: '1d' is not a window")
                .hasMessageContaining("need 1 <= min-window <= max-window")
                .hasMessageContaining("batches.online-priority must be 0")
                .hasMessageContaining("topics.file-chunks is empty");
    }

    @Test
    void unknownTopLevelKeyIsRefusedAndNamed() {
        assertThatThrownBy(() -> BridgeConfig.parse(base() + "replicas: 3\n", SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown key 'replicas'")
                .hasMessageContaining("models-dir");
    }

    @Test
    void unknownNestedKeyIsRefusedAndNamed() {
        assertThatThrownBy(() -> BridgeConfig.parse(base() + "http:\n  prot: 8081\n", SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown key 'prot'")
                .hasMessageContaining("port");
    }

    @Test
    void camelCaseKeyIsUnknown() {
        assertThatThrownBy(() -> BridgeConfig.parse(base() + "http:\n  maxBodyBytes: 2048\n", SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown key 'maxBodyBytes'");
    }

    @Test
    void invalidYamlIsReported() {
        assertThatThrownBy(() -> BridgeConfig.parse(base() + "http: {port: [\n", SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void everyProblemIsListedAtOnce() {
        String yaml = base() + "http: {port: 70000}\nauth: {tokens: [short]}\n";
        assertThatThrownBy(() -> BridgeConfig.parse(yaml, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    String m = e.getMessage();
                    assertThat(m).startsWith("invalid bridge config:");
                    assertThat(m).contains("http.port must be 0-65535").contains("70000");
                    assertThat(m).contains("auth.tokens").contains("at least 16 characters");
                    assertThat(m).contains("callbacks.secret").contains("STREAMINFER_CALLBACK_SECRET");
                    assertThat(m.split("\n  - ")).hasSize(4); // header + exactly three problems
                });
    }

    @Test
    void otherValidationProblems() {
        String yaml = base() + "http: {max-body-bytes: 10, max-in-flight: 0, retry-after-seconds: 0}\n"
                + "kafka: {bootstrap-servers: ' '}\n"
                + "topics: {results: ''}\n"
                + "reply: {partitions: [1, -1]}\n"
                + "timeouts: {default-ms: 500, max-ms: 100}\n"
                + "jobs: {max-tracked: 0}\n"
                + "callbacks: {max-attempts: 0, connect-timeout-ms: 0}\n"
                + "readiness: {stall-ms: 0, job-gone-grace-ms: -1}\n";
        assertThatThrownBy(() -> BridgeConfig.parse(yaml, SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http.max-body-bytes must be at least 1024")
                .hasMessageContaining("http.max-in-flight")
                .hasMessageContaining("http.retry-after-seconds")
                .hasMessageContaining("kafka.bootstrap-servers is empty")
                .hasMessageContaining("topics.results is empty")
                .hasMessageContaining("reply.partitions")
                .hasMessageContaining("default-ms=500, max-ms=100")
                .hasMessageContaining("jobs: max-tracked")
                .hasMessageContaining("max-attempts >= 1")
                .hasMessageContaining("connect-timeout-ms")
                .hasMessageContaining("readiness:")
                .hasMessageContaining("readiness.job-gone-grace-ms must be 0 or more, got -1")
                .hasMessageNotContaining("callbacks.secret");
    }

    @Test
    void badReplicaIdIsReported() {
        assertThatThrownBy(() -> BridgeConfig.parse("replica-id: 'has space'\nmodels-dir: '" + models + "'\n",
                SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("replica-id 'has space'");
    }

    @Test
    void missingModelsDirIsReported() {
        Path missing = models.resolve("nope");
        assertThatThrownBy(() -> BridgeConfig.parse("replica-id: r\nmodels-dir: '" + missing + "'\n", SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("models-dir '" + missing + "' is not a directory");
    }

    @Test
    void environmentSuppliesTokensAndSecret() {
        String a = "aaaaaaaaaaaaaaaa-token";
        String b = "bbbbbbbbbbbbbbbb-token";
        BridgeConfig c = BridgeConfig.parse(base(), Map.of(
                "STREAMINFER_BRIDGE_TOKENS", a + ", " + b + ",,",
                "STREAMINFER_CALLBACK_SECRET", SECRET));
        assertThat(c.auth.tokens).containsExactly(a, b);
        assertThat(c.callbacks.secret).isEqualTo(SECRET);
    }

    @Test
    void environmentTokensAddToFileTokensAndSecretOverridesFile() {
        String fileToken = "ffffffffffffffff-file";
        String envToken = "eeeeeeeeeeeeeeee-env";
        BridgeConfig c = BridgeConfig.parse(base() + "auth: {tokens: [" + fileToken + "]}\n"
                + "callbacks: {secret: file-secret-0123456789}\n",
                Map.of(BridgeConfig.ENV_TOKENS, envToken, BridgeConfig.ENV_CALLBACK_SECRET, SECRET));
        assertThat(c.auth.tokens).containsExactly(fileToken, envToken);
        assertThat(c.callbacks.secret).isEqualTo(SECRET);
    }

    @Test
    void blankEnvironmentValuesAreIgnored() {
        BridgeConfig c = BridgeConfig.parse(base() + "callbacks: {secret: file-secret-0123456789}\n",
                Map.of(BridgeConfig.ENV_TOKENS, "  ", BridgeConfig.ENV_CALLBACK_SECRET, " "));
        assertThat(c.auth.tokens).isEmpty();
        assertThat(c.callbacks.secret).isEqualTo("file-secret-0123456789");
    }

    @Test
    void shortEnvironmentTokenIsReported() {
        assertThatThrownBy(() -> BridgeConfig.parse(base(),
                Map.of(BridgeConfig.ENV_TOKENS, "short", BridgeConfig.ENV_CALLBACK_SECRET, SECRET)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auth.tokens");
    }

    @Test
    void shortCallbackSecretIsReported() {
        assertThatThrownBy(() -> BridgeConfig.parse(base(),
                Map.of(BridgeConfig.ENV_CALLBACK_SECRET, "too-short")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("callbacks.secret")
                .hasMessageContaining("at least 16 characters");
    }

    @Test
    void badCallbacksAllowRuleIsReported() {
        String yaml = base() + "callbacks:\n  allow: ['127.0.0.1/32', '10.0.0.0/40', 'bad host!']\n";
        assertThatThrownBy(() -> BridgeConfig.parse(yaml, SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("callbacks.allow: '10.0.0.0/40' prefix length must be 0-32")
                .hasMessageContaining("callbacks.allow: 'bad host!' is neither a host name nor a CIDR range")
                .hasMessageNotContaining("127.0.0.1/32");
    }

    @Test
    void goodCallbacksAllowRulesAreAccepted() {
        BridgeConfig c = BridgeConfig.parse(base() + "callbacks:\n  allow: ['127.0.0.1/32', hooks.internal, 'fd00::/8']\n",
                SECRET_ENV);
        assertThat(c.callbacks.allow).containsExactly("127.0.0.1/32", "hooks.internal", "fd00::/8");
    }

    @Test
    void loadReadsAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bridge.yaml");
        Files.writeString(file, base() + "callbacks: {enabled: false}\nhttp: {port: 9090}\n");
        assertThat(BridgeConfig.load(file).http.port).isEqualTo(9090);
        assertThatThrownBy(() -> BridgeConfig.load(dir.resolve("missing.yaml")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read the bridge config");
    }

    /** A key left empty (e.g. its items commented out) is YAML null: it must be reported, not crash. */
    @Test
    void emptySectionsMeanTheirDefaultsNotNullPointers() {
        String yaml = base() + "auth:\n  tokens:\n  #  - commented-out-token-0000\nhttp:\nkafka:\n  properties:\n";
        BridgeConfig c = BridgeConfig.parse(yaml, Map.of(BridgeConfig.ENV_TOKENS, "aaaaaaaaaaaaaaaa-token",
                BridgeConfig.ENV_CALLBACK_SECRET, SECRET));
        assertThat(c.auth.tokens).containsExactly("aaaaaaaaaaaaaaaa-token");
        assertThat(c.http.port).isEqualTo(8080);
        assertThat(c.kafkaClientProperties()).containsEntry("bootstrap.servers", "localhost:9092");
    }

    /** A file of only comments is an empty YAML document: it should mean "all defaults", like an empty file. */
    @Test
    void commentsOnlyYamlMeansDefaults() {
        BridgeConfig c = BridgeConfig.parse(base() + "# http: {port: 9090}\n", SECRET_ENV);
        assertThat(c.http.port).isEqualTo(8080); // passes today: the document has content
        // Fixed, this reports what an empty file reports (the default models-dir is absent from the test's cwd).
        assertThatThrownBy(() -> BridgeConfig.parse("# all defaults\n# http: {port: 9090}\n", SECRET_ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("not valid YAML")
                .hasMessageContaining("models-dir");
    }
}
