package io.streaminfer.job.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TestPortsTest {

    @Test
    void portsAreDistinctBindableAndBelowTheEphemeralRange() throws Exception {
        int[] ports = TestPorts.distinct(20);
        assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(20);
        for (int port : ports) {
            assertThat(port).isBetween(TestPorts.LOW, TestPorts.HIGH - 1);
            try (ServerSocket s = new ServerSocket(port)) {
                assertThat(s.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void aPortSomeoneHoldsIsNeverHandedOut() throws Exception {
        int low = freeTriple();
        try (ServerSocket held = new ServerSocket(low + 1)) {
            for (int i = 0; i < 20; i++) {
                assertThat(TestPorts.distinct(2, low, low + 3)).containsExactlyInAnyOrder(low, low + 2);
            }
            assertThatThrownBy(() -> TestPorts.distinct(3, low, low + 3)).hasMessageContaining("no 3 free ports");
        }
    }

    /** The lowest of three neighbouring ports that are all free. */
    private static int freeTriple() throws Exception {
        while (true) {
            int low = TestPorts.distinct(1)[0] / 3 * 3;
            try (ServerSocket a = new ServerSocket(low);
                    ServerSocket b = new ServerSocket(low + 1);
                    ServerSocket c = new ServerSocket(low + 2)) {
                return low;
            } catch (java.io.IOException taken) {
                // try another
            }
        }
    }

    @Test
    void aSillyCountIsRefused() {
        assertThatThrownBy(() -> TestPorts.distinct(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
