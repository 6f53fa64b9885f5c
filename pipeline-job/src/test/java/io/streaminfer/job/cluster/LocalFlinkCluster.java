package io.streaminfer.job.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.job.testing.TestPorts;
import io.streaminfer.job.tools.FlinkRestClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real multi-process cluster of {@code deploy/cluster/start}: started and stopped through the same scripts users
 * run, on free ports and in its own run dir, so it never meets a cluster someone runs on 8081. Task managers are
 * separate JVMs; {@link #kill(String)} is a real {@code kill -9}.
 */
final class LocalFlinkCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalFlinkCluster.class);

    final Path repoRoot;
    final Path runDir;
    final int restPort;
    final FlinkRestClient rest;
    private final Thread stopOnExit;

    private LocalFlinkCluster(Path repoRoot, Path runDir, int restPort) {
        this.repoRoot = repoRoot;
        this.runDir = runDir;
        this.restPort = restPort;
        this.rest = new FlinkRestClient(URI.create("http://localhost:" + restPort));
        // A test JVM killed by a timeout must not leave three JVMs behind.
        this.stopOnExit = new Thread(this::stopQuietly, "stop-flink-cluster");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    static LocalFlinkCluster start(int taskManagers, int slots) throws IOException, InterruptedException {
        Path repoRoot = Path.of(System.getProperty("streaminfer.repo.root", "..")).toAbsolutePath().normalize();
        Path runDir = Path.of(System.getProperty("streaminfer.cluster.dir", "target/cluster-it")).toAbsolutePath();
        Files.createDirectories(runDir);
        // A port can still be taken between the probe and the JobManager's bind (by a process that did not ask
        // TestPorts): that start fails with a BindException and is retried on other ports; any other failure is not.
        for (int attempt = 1; ; attempt++) {
            int[] ports = TestPorts.distinct(2);
            LocalFlinkCluster cluster = new LocalFlinkCluster(repoRoot, runDir, ports[0]);
            long t0 = System.nanoTime();
            try {
                cluster.script("start", "--taskmanagers", Integer.toString(taskManagers), "--slots",
                        Integer.toString(slots), "--rest-port", Integer.toString(ports[0]), "--rpc-port",
                        Integer.toString(ports[1]));
            } catch (IOException e) {
                cluster.forgetShutdownHook(); // the script has stopped what it started
                if (attempt < 3 && e.getMessage() != null && e.getMessage().contains("BindException")) {
                    LOG.warn("Ports {} and {} were taken before the cluster bound them; retrying on others",
                            ports[0], ports[1]);
                    continue;
                }
                throw e;
            }
            LOG.info("Flink cluster (1 JobManager + {} TaskManagers x {} slots, separate JVMs) up in {} ms at {}",
                    taskManagers, slots, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), cluster.rest.base());
            return cluster;
        }
    }

    /** The pid of a task manager ("tm1", ...), from its pid file. */
    long pid(String resourceId) {
        try {
            return Long.parseLong(Files.readString(runDir.resolve(resourceId + ".pid")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Task manager resource id → pid, for the task managers the REST API reports registered. */
    Map<String, Long> taskManagerPids() throws IOException {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (JsonNode tm : rest.get("/taskmanagers").path("taskmanagers")) {
            String id = tm.path("id").asText();
            pids.put(id, pid(id));
        }
        return pids;
    }

    /** The task managers (resource ids) that run subtasks of the job. */
    Set<String> taskManagersOf(String jobId) throws IOException {
        Set<String> ids = new TreeSet<>();
        for (JsonNode v : rest.job(jobId).path("vertices")) {
            JsonNode tms = rest.get("/jobs/" + jobId + "/vertices/" + v.path("id").asText() + "/taskmanagers");
            for (JsonNode tm : tms.path("taskmanagers")) {
                if (tm.path("status").asText().equals("RUNNING")) {
                    ids.add(tm.path("taskmanager-id").asText());
                }
            }
        }
        return ids;
    }

    /** {@code kill -9} of a task manager's JVM; returns when the process is gone. */
    void kill(String resourceId) throws InterruptedException {
        ProcessHandle process = ProcessHandle.of(pid(resourceId))
                .orElseThrow(() -> new IllegalStateException(resourceId + " is not running"));
        process.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no goodbye to the JobManager
        process.onExit().join();
    }

    boolean isAlive(String resourceId) {
        return ProcessHandle.of(pid(resourceId)).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The last lines of a process's log ("jobmanager", "tm1"...), for failure messages. */
    /**
     * What deploy/submit runs, in this JVM, against this cluster: returns its stdout lines; fails the test with its
     * stderr and the JobManager's log tail when it exits non-zero.
     */
    List<String> submit(String... args) throws Exception {
        List<String> all = new ArrayList<>(java.util.Arrays.asList(args));
        all.add("--rest");
        all.add(rest.base().toString());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int rc = io.streaminfer.job.tools.SubmitCommand.run(all.toArray(String[]::new),
                new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        String errText = err.toString(StandardCharsets.UTF_8);
        LOG.info("submit {}: {}", args[0], errText.strip().replace("\n", " | "));
        if (rc != 0) {
            throw new AssertionError("deploy/submit " + java.util.Arrays.toString(args) + " exited " + rc + ": "
                    + errText + "\njobmanager log tail:\n" + logTail("jobmanager", 40));
        }
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    String logTail(String name, int lines) {
        try {
            List<String> all = Files.readAllLines(runDir.resolve("log").resolve(name + ".log"), StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Lines of a process's log that contain {@code text}. */
    List<String> logLines(String name, String text) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("log").resolve(name + ".log"), StandardCharsets.UTF_8)) {
            if (line.contains(text)) {
                out.add(line);
            }
        }
        return out;
    }

    private void script(String name, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(repoRoot.resolve("deploy/cluster").resolve(name).toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("STREAMINFER_CLUSTER_DIR", runDir.toString());
        Path out = Files.createTempFile("cluster-" + name, ".out");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("deploy/cluster/" + name + " did not return in 5 minutes");
        }
        String output = Files.readString(out);
        Files.deleteIfExists(out);
        if (p.exitValue() != 0) {
            throw new IOException("deploy/cluster/" + name + " failed (exit " + p.exitValue() + "):\n" + output);
        }
        LOG.info("deploy/cluster/{}: {}", name, output.strip().replace("\n", " | "));
    }

    private void stopQuietly() {
        try {
            script("stop", "--timeout", "20");
        } catch (Exception e) {
            LOG.warn("Stopping the Flink cluster failed", e);
        }
    }

    @Override
    public void close() {
        stopQuietly();
        forgetShutdownHook();
    }

    private void forgetShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }
}
