package io.streaminfer.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The job's condition from Flink's answers (a stand-in REST API that answers what Flink's does at these paths):
 * restarting or starting is RECOVERING, no active job is GONE, and a Flink that does not answer leaves the verdict
 * to Kafka.
 */
class FlinkJobStatusTest {
    private static final String TRACE = "org.apache.flink.runtime.JobException: Recovery is suppressed by "
            + "FixedDelayRestartBackoff\n\tat org.apache.flink.runtime.executiongraph.X.handle(X.java:1)\n"
            + "Caused by: java.lang.IllegalStateException: the model file is missing\n\tat a.b.C.d(C.java:2)\n";

    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private HttpServer flink;
    private FlinkJobStatus status;

    @BeforeEach
    void start() throws IOException {
        flink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        flink.createContext("/", exchange -> {
            String body = answers.get(exchange.getRequestURI().getPath());
            byte[] bytes = (body == null ? "{\"errors\":[\"Not found\"]}" : body).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        flink.start();
        status = new FlinkJobStatus(URI.create("http://127.0.0.1:" + flink.getAddress().getPort() + "/"), "si");
        answers.put("/overview", "{\"taskmanagers\":0,\"slots-available\":0}");
        answers.put("/jobs/j1/exceptions", "{\"exceptionHistory\":{\"entries\":[{\"stacktrace\":"
                + TextNode.valueOf(TRACE) + "}]}}");
    }

    @AfterEach
    void stop() {
        flink.stop(0);
    }

    private void jobs(String... entries) {
        answers.put("/jobs/overview", "{\"jobs\":[" + String.join(",", entries) + "]}");
    }

    private static String job(String id, String name, String state, long start, int running, int total) {
        return "{\"jid\":\"" + id + "\",\"name\":\"" + name + "\",\"state\":\"" + state + "\",\"start-time\":" + start
                + ",\"tasks\":{\"running\":" + running + ",\"total\":" + total + "}}";
    }

    @Test
    void runningWithEveryTaskIsRunning() {
        jobs(job("j1", "si", "RUNNING", 1, 3, 3), job("j0", "other", "FAILED", 2, 0, 3));
        assertThat(status.condition()).isEqualTo(JobCondition.running());
    }

    @Test
    void restartingOrStartingIsRecoveringWithStateSlotsAndLatestFailure() {
        jobs(job("j1", "si", "RESTARTING", 1, 0, 3));
        JobCondition c = status.condition();
        assertThat(c.state()).isEqualTo(JobCondition.State.RECOVERING);
        assertThat(c.detail()).isEqualTo("the pipeline job 'si' is RESTARTING (0 of 3 tasks running; task managers: 0,"
                + " free slots: 0); latest failure: JobException: Recovery is suppressed by FixedDelayRestartBackoff,"
                + " caused by IllegalStateException: the model file is missing");
        jobs(job("j1", "si", "RUNNING", 1, 2, 3));
        assertThat(status.condition().state()).isEqualTo(JobCondition.State.RECOVERING);
        assertThat(status.condition().detail()).startsWith("the pipeline job 'si' is starting its tasks (2 of 3");
    }

    @Test
    void onlyEndedJobsOrNoneIsGoneWithTheNewestEndingAndItsFailure() {
        jobs(job("j0", "si", "CANCELED", 1, 0, 3), job("j1", "si", "FAILED", 5, 0, 3));
        JobCondition c = status.condition();
        assertThat(c.state()).isEqualTo(JobCondition.State.GONE);
        assertThat(c.detail()).contains("no pipeline job named 'si' runs on the Flink cluster at http://127.0.0.1:")
                .contains("(the latest one ended FAILED); its latest failure: JobException: Recovery is suppressed")
                .doesNotEndWith("/");
        jobs(job("j1", "other", "RUNNING", 1, 3, 3));
        assertThat(status.condition().state()).isEqualTo(JobCondition.State.GONE);
        // A redeployment: the old one cancelled, the new one starting: that is a start, not gone.
        jobs(job("j0", "si", "CANCELED", 1, 0, 3), job("j2", "si", "INITIALIZING", 9, 0, 3));
        assertThat(status.condition().state()).isEqualTo(JobCondition.State.RECOVERING);
    }

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
        assertThat(new FlinkJobStatus(URI.create("http://127.0.0.1:" + port), "streaminfer").condition().state())
                .isEqualTo(JobCondition.State.UNKNOWN);
    }
}
