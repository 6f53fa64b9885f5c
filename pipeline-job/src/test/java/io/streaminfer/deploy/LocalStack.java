package io.streaminfer.deploy;

import io.streaminfer.job.testing.TestPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code deploy/local/up} and {@code down} as a user runs them — the real scripts and processes — on free ports and in
 * a data dir of its own, so it never meets a stack someone runs on 9092/8081/8080. Each {@link #up()} is one run of
 * the script, its output in {@code up-N.log}; {@link #stop()} sends SIGTERM, which up handles as it handles Ctrl-C.
 */
final class LocalStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    final Path repoRoot;
    final Path data;
    final int kafkaPort;
    final int flinkPort;
    final int bridgePort;
    private final Map<String, String> env = new HashMap<>();
    private final Thread downOnExit = new Thread(this::downQuietly, "local-stack-down");
    private Process up;
    private Path upLog;
    private int runs;

    LocalStack(Path data) throws IOException {
        this.repoRoot = Path.of(System.getProperty("streaminfer.repo.root", "..")).toAbsolutePath().normalize();
        this.data = data.toAbsolutePath();
        int[] ports = TestPorts.distinct(6);
        this.kafkaPort = ports[0];
        this.flinkPort = ports[1];
        this.bridgePort = ports[2];
        env.put("STREAMINFER_LOCAL_DATA", this.data.toString());
        env.put("STREAMINFER_KAFKA_PORT", Integer.toString(kafkaPort));
        env.put("STREAMINFER_KAFKA_CONTROLLER_PORT", Integer.toString(ports[3]));
        env.put("STREAMINFER_FLINK_PORT", Integer.toString(flinkPort));
        env.put("STREAMINFER_FLINK_RPC_PORT", Integer.toString(ports[4]));
        env.put("STREAMINFER_BRIDGE_PORT", Integer.toString(bridgePort));
        env.put("STREAMINFER_BRIDGE_GRPC_PORT", Integer.toString(ports[5]));
        // Built by the Maven run this test is part of; the scripts must not start a build of their own.
        env.put("STREAMINFER_SKIP_BUILD", "1");
        // Budgets for a shared, busy CI machine (seen: a task manager that took over 2 minutes to register at load
        // average 20): this test is about what survives a restart, not about how fast the parts start.
        env.put("STREAMINFER_KAFKA_START_TIMEOUT", "300");
        env.put("STREAMINFER_CLUSTER_START_TIMEOUT", "480");
        env.put("STREAMINFER_JOB_START_TIMEOUT", "600");
        env.put("STREAMINFER_BRIDGE_START_TIMEOUT", "300");
        String models = System.getProperty("streaminfer.models.dir");
        if (models != null) {
            env.put("STREAMINFER_MODELS_DIR", Path.of(models).toAbsolutePath().toString());
        }
        Files.createDirectories(this.data);
        // The cluster tests' resolved Flink classpath, when there is one: saves a Maven resolution.
        Path clusterClasspath = Path.of(System.getProperty("streaminfer.cluster.dir", "target/cluster-it"))
                .resolve("classpath.txt");
        if (Files.isRegularFile(clusterClasspath)) {
            Files.copy(clusterClasspath, this.data.resolve("cluster-classpath.txt"),
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        }
        Runtime.getRuntime().addShutdownHook(downOnExit); // a killed test JVM must not leave the stack running
    }

    String bootstrapServers() {
        return "localhost:" + kafkaPort;
    }

    /** Starts deploy/local/up (returns at once); {@link #upLog()} fills as it goes. */
    void up(String... args) throws IOException {
        runs++;
        upLog = data.resolve("up-" + runs + ".log");
        List<String> command = new ArrayList<>(List.of(repoRoot.resolve("deploy/local/up").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(repoRoot.toFile()).redirectErrorStream(true)
                .redirectOutput(upLog.toFile());
        pb.environment().putAll(env);
        up = pb.start();
        LOG.info("deploy/local/up #{} started (pid {}), log {}", runs, up.pid(), upLog);
    }

    /** What the current run of up has said so far. */
    String upLog() {
        try {
            return upLog == null || !Files.exists(upLog) ? "" : Files.readString(upLog, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean upRunning() {
        return up != null && up.isAlive();
    }

    /** True once up said the stack is up; an AssertionError with its log if up ended first. */
    boolean isUp() {
        String log = upLog();
        if (log.contains("streaminfer is up")) {
            return true;
        }
        if (!upRunning()) {
            throw new AssertionError("deploy/local/up exited " + up.exitValue() + " before the stack was up:\n"
                    + tail(log, 60));
        }
        return false;
    }

    /** SIGTERM to up (its Ctrl-C path) and waits for it to have stopped everything; returns its exit code. */
    int stop() throws InterruptedException {
        up.destroy();
        if (!up.waitFor(5, TimeUnit.MINUTES)) {
            throw new AssertionError("deploy/local/up did not stop within 5 minutes:\n" + tail(upLog(), 40));
        }
        return up.exitValue();
    }

    /** The pid a component's pid file names: "kafka", "bridge" (the stack's pid dir) or "tm1" (the cluster's). */
    long pid(String component) throws IOException {
        Path f = component.startsWith("tm") ? data.resolve("run/cluster/" + component + ".pid")
                : data.resolve("pids/" + component + ".pid");
        return Long.parseLong(Files.readString(f).trim());
    }

    /** deploy/local/down, which also stops what a failed test left behind. */
    void down() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(repoRoot.resolve("deploy/local/down").toString())
                .directory(repoRoot.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("down.log").toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(6, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
    }

    private void downQuietly() {
        try {
            if (up != null && up.isAlive()) {
                up.destroy();
                up.waitFor(5, TimeUnit.MINUTES);
            }
            down();
        } catch (Exception e) {
            LOG.warn("Stopping the local stack failed", e);
        }
    }

    @Override
    public void close() {
        downQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(downOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
