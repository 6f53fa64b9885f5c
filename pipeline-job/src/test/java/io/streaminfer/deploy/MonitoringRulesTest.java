package io.streaminfer.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/monitoring checked by Prometheus's own tool: the config and every rule file load, and the burn-rate alerts
 * fire, and stay quiet, as tests/alerts-test.yml expects (promtool's unit tests on made-up series). That the rules
 * and the dashboard find data on a running stack is {@code MonitoringIT}'s job.
 */
class MonitoringRulesTest {
    @BeforeAll
    static void promtool() {
        assertThat(onPath("promtool")).as("promtool is not on the PATH: install Debian's prometheus package "
                + "(apt-get install -y prometheus; .ci/run does) to check deploy/monitoring").isTrue();
    }

    @Test
    void configAndRulesLoad() throws Exception {
        Path dir = MonitoringFiles.dir();
        List<String> command = new ArrayList<>(List.of("promtool", "check", "rules"));
        MonitoringFiles.ruleFiles().forEach(f -> command.add(f.toString()));
        assertThat(run(dir, command)).contains("SUCCESS");
        assertThat(run(dir, List.of("promtool", "check", "config", "prometheus.yml"))).contains("SUCCESS");
        assertThat(MonitoringFiles.recordingRules(dir.resolve("rules"))).isNotEmpty();
        assertThat(MonitoringFiles.alerts())
                .contains("StreaminferErrorBudgetBurnFast", "StreaminferErrorBudgetBurnSlow");
    }

    @Test
    void burnRateAlertsFireAsTheirUnitTestsExpect() throws Exception {
        assertThat(run(MonitoringFiles.dir(), List.of("promtool", "test", "rules", "tests/alerts-test.yml")))
                .contains("SUCCESS");
    }

    /** The command's output; fails with it when the command fails. */
    static String run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("%s still runs", command).isTrue();
        assertThat(p.exitValue()).as("%s in %s:%n%s", String.join(" ", command), dir, out).isZero();
        return out;
    }

    static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
