package io.streaminfer.job.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for processes a test starts and must name a port to in advance (a JobManager, the local stack's parts).
 *
 * <p>They come from below Linux's ephemeral range (32768-60999), not from {@code new ServerSocket(0)}: a port the
 * kernel handed out for a probe socket goes back to the pool the moment the probe closes, and an embedded broker or any
 * outgoing connection started meanwhile may get it before the child process binds it (seen in CI: the JobManager's
 * REST endpoint failed with a {@code BindException} while a broker started beside it). Below the range, only other
 * callers of this class pick ports.
 *
 * <pre>{@code
 * int[] ports = TestPorts.distinct(2); // REST and RPC port of a cluster
 * }</pre>
 */
public final class TestPorts {
    static final int LOW = 20_000;
    static final int HIGH = 32_768; // exclusive: where the ephemeral range starts

    private TestPorts() {}

    /** {@code n} distinct ports, bindable on all interfaces a moment ago; each probe is held until all are chosen. */
    public static int[] distinct(int n) throws IOException {
        return distinct(n, LOW, HIGH);
    }

    /** As {@link #distinct(int)}, from {@code [low, high)}. */
    static int[] distinct(int n, int low, int high) throws IOException {
        if (n < 1 || n > 100) {
            throw new IllegalArgumentException("n must be 1..100, was " + n);
        }
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0, tries = 0; i < n; tries++) {
                if (tries > 1_000) {
                    throw new IOException("no " + n + " free ports in " + low + "-" + (high - 1) + " after 1000 tries");
                }
                int candidate = ThreadLocalRandom.current().nextInt(low, high);
                ServerSocket probe = bind(candidate);
                if (probe != null) {
                    held.add(probe);
                    ports[i++] = candidate;
                }
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    private static ServerSocket bind(int port) {
        try {
            ServerSocket s = new ServerSocket();
            // Without it a port left in TIME_WAIT by an earlier test's process would look taken; the child binds the
            // same way (Flink, Kafka and the bridge all set SO_REUSEADDR).
            s.setReuseAddress(true);
            try {
                s.bind(new java.net.InetSocketAddress((InetAddress) null, port));
                return s;
            } catch (IOException taken) {
                s.close();
                return null;
            }
        } catch (IOException e) {
            return null;
        }
    }
}
