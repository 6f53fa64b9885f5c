package io.streaminfer.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The readiness text from Flink's answers; a Flink that does not answer leaves the verdict to Kafka. */
class FlinkJobStatusTest {

    @Test
    void failureIsItsFirstLineAndInnermostCauseWithoutPackages() {
        String trace = "org.apache.flink.runtime.JobException: Recovery is suppressed by FixedDelayRestartBackoff\n"
                + "\tat org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler.handle(X.java:1)\n"
                + "Caused by: org.apache.flink.runtime.jobmanager.scheduler.NoResourceAvailableException: Could not "
                + "acquire the minimum required resources.\n\tat a.b.C.d(C.java:2)\n";
        assertThat(FlinkJobStatus.summarize(trace)).isEqualTo("JobException: Recovery is suppressed by "
                + "FixedDelayRestartBackoff, caused by NoResourceAvailableException: Could not acquire the minimum "
                + "required resources.");
        assertThat(FlinkJobStatus.summarize("")).isNull();
        assertThat(FlinkJobStatus.summarize("x".repeat(1000))).hasSize(301).endsWith("…");
    }

    @Test
    void unreachableRestApiIsUnknownNotAProblem() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        assertThat(new FlinkJobStatus(URI.create("http://127.0.0.1:" + port), "streaminfer").problem()).isNull();
    }
}
