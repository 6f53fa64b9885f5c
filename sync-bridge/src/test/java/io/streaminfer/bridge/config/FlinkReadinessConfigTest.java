package io.streaminfer.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional flink section: off by default, checked when set. */
class FlinkReadinessConfigTest {
    @TempDir
    Path models;

    private String base() {
        return "replica-id: bridge-0\nmodels-dir: '" + models + "'\ncallbacks: {enabled: false}\n";
    }

    @Test
    void offUnlessARestUrlIsGiven() {
        BridgeConfig c = BridgeConfig.parse(base(), Map.of());
        assertThat(c.flink.restUrl).isNull();
        assertThat(c.flink.jobName).isEqualTo("streaminfer");
        c = BridgeConfig.parse(base() + "flink: {rest-url: 'http://flink-jm:8081', job-name: streaminfer-local}\n",
                Map.of());
        assertThat(c.flink.restUrl).isEqualTo("http://flink-jm:8081");
        assertThat(c.flink.jobName).isEqualTo("streaminfer-local");
        assertThat(BridgeConfig.parse(base() + "flink:\n", Map.of()).flink.restUrl).isNull();
    }

    @Test
    void badUrlAndMissingJobNameAreBothReported() {
        assertThatThrownBy(() -> BridgeConfig.parse(base() + "flink: {rest-url: 'flink-jm:8081', job-name: ''}\n",
                Map.of()))
                .hasMessageContaining("flink.rest-url must be http(s)://host:port")
                .hasMessageContaining("'flink-jm:8081'")
                .hasMessageContaining("flink.job-name is empty");
    }
}
