package io.streaminfer.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.config.JobConfig;
import io.streaminfer.job.tools.FlinkRestClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The program arguments deploy/submit hands to the job on the cluster, without a cluster. */
class SubmitArgumentsTest {
    private static final String YAML = "job-name: args-test\nkafka:\n  bootstrap-servers: broker:9092\n"
            + "execution:\n  parallelism: 3\n";

    @Test
    void inlineConfigIsTheSameAsTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("job.yaml");
        Files.writeString(file, YAML);
        JobConfig fromFile = InferenceJob.configFrom(new String[] {"--config", file.toString()});
        JobConfig inline = InferenceJob.configFrom(new String[] {"--config-base64",
                Base64.getEncoder().encodeToString(YAML.getBytes(StandardCharsets.UTF_8))});
        assertThat(inline).usingRecursiveComparison().isEqualTo(fromFile);
        assertThat(inline.kafka.bootstrapServers).isEqualTo("broker:9092");
        assertThat(inline.execution.parallelism).isEqualTo(3);
    }

    @Test
    void parallelismArgumentOverridesTheConfig() {
        String b64 = Base64.getEncoder().encodeToString(YAML.getBytes(StandardCharsets.UTF_8));
        JobConfig c = InferenceJob.configFrom(new String[] {"--config-base64", b64, "--parallelism", "4"});
        assertThat(c.execution.parallelism).isEqualTo(4);
        assertThatThrownBy(() -> InferenceJob.configFrom(new String[] {"--config-base64", b64, "--parallelism", "0"}))
                .hasMessageContaining("execution.parallelism");
    }

    @Test
    void badArgumentsThrowInsteadOfExitingTheJobManager() {
        assertThatThrownBy(() -> InferenceJob.configFrom(new String[0])).hasMessageContaining("usage");
        assertThatThrownBy(() -> InferenceJob.configFrom(new String[] {"--config-base64", "not base64!"}))
                .hasMessageContaining("not base64");
        assertThatThrownBy(() -> InferenceJob.configFrom(new String[] {"--confg", "x"}))
                .hasMessageContaining("'--confg'");
        String b64 = Base64.getEncoder().encodeToString("kafka: {bogus: 1}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> InferenceJob.configFrom(new String[] {"--config-base64", b64}))
                .hasMessageContaining("unknown key 'bogus'");
    }

    @Test
    void serverStackTracesAreShortenedToTheirCauses() {
        String trace = "java.util.concurrent.CompletionException: boom\n\tat a.b.C.d(C.java:1)\n\t... 50 more\n"
                + "Caused by: java.lang.UnsatisfiedLinkError: already loaded in another classloader\n\tat x.Y.z(Y.java:2)";
        assertThat(FlinkRestClient.compact(trace)).isEqualTo("java.util.concurrent.CompletionException: boom\n"
                + "Caused by: java.lang.UnsatisfiedLinkError: already loaded in another classloader");
    }
}
