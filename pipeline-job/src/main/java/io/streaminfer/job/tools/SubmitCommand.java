package io.streaminfer.job.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.config.JobConfig;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deploy/submit}: what {@code flink run -d}, {@code flink stop --savepointPath} and {@code flink cancel} do,
 * through Flink's REST API.
 *
 * <pre>
 * deploy/submit --config deploy/job/job.yaml [--rest http://localhost:8081] [--jar JAR] [--from-savepoint PATH]
 *               [--parallelism N]                 # prints the job ID, then the web UI link
 * deploy/submit --stop JOB_ID [--savepoint-dir DIR]   # stop with a savepoint; prints the savepoint path
 * deploy/submit --cancel JOB_ID                     # cancel without a savepoint
 * </pre>
 *
 * The job config's content travels in the program arguments ({@code --config-base64}), because the JobManager runs
 * the job's {@code main} and cannot read the submitter's files. Results go to stdout (one value per line); progress
 * and errors to stderr. Exit codes: 0 done, 2 bad command line or job config, 1 the cluster refused or failed.
 */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Submit the inference job to a Flink cluster, or stop it with a savepoint, through REST.")
public final class SubmitCommand implements Callable<Integer> {
    static final String ENTRY_CLASS = InferenceJob.class.getName();

    @ArgGroup(exclusive = true, multiplicity = "1")
    Action action;

    static final class Action {
        @Option(names = "--config", description = "The job config (YAML) to submit; its content is sent.")
        Path config;

        @Option(names = "--stop", paramLabel = "JOB_ID", description = "Stop this job with a savepoint.")
        String stop;

        @Option(names = "--cancel", paramLabel = "JOB_ID", description = "Cancel this job (no savepoint).")
        String cancel;
    }

    @Option(names = "--rest", description = "Flink's REST address (default: $STREAMINFER_FLINK_REST, else "
            + "http://localhost:8081).")
    URI rest;

    @Option(names = "--jar", description = "The shaded job jar (pipeline-job/target/pipeline-job-*-job.jar).")
    Path jar;

    @Option(names = "--from-savepoint", paramLabel = "PATH", description = "Restore the job's state from this "
            + "savepoint (the path --stop printed).")
    String fromSavepoint;

    @Option(names = "--parallelism", description = "Overrides execution.parallelism of the config.")
    Integer parallelism;

    @Option(names = "--savepoint-dir", paramLabel = "DIR", description = "With --stop: where the savepoint goes "
            + "(default: the cluster's execution.checkpointing.savepoint-dir).")
    String savepointDir;

    @Option(names = "--timeout", defaultValue = "300", description = "Seconds to wait for RUNNING, a savepoint or a "
            + "cancellation (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    private final PrintStream out;
    private final PrintStream err;

    public SubmitCommand() {
        this(System.out, System.err);
    }

    SubmitCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new SubmitCommand(out, err));
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        FlinkRestClient flink = new FlinkRestClient(rest != null ? rest : defaultRest());
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        try {
            if (action.stop != null) {
                err.println("[submit] stopping job " + action.stop + " with a savepoint");
                String location = flink.stopWithSavepoint(action.stop, savepointDir, timeout);
                err.println("[submit] job " + action.stop + " stopped; savepoint at " + location);
                out.println(location);
                return 0;
            }
            if (action.cancel != null) {
                flink.cancel(action.cancel, timeout);
                err.println("[submit] job " + action.cancel + " cancelled");
                return 0;
            }
            return submit(flink, timeout);
        } catch (java.io.IOException e) {
            err.println("[submit] " + e.getMessage());
            return 1;
        }
    }

    private int submit(FlinkRestClient flink, Duration timeout) throws Exception {
        if (jar == null || !Files.isRegularFile(jar)) {
            err.println("[submit] --jar " + jar + " is not a file: build it with mvn package "
                    + "(pipeline-job/target/pipeline-job-*-job.jar)");
            return 2;
        }
        JobConfig config;
        try {
            // Checked here first: a bad config is reported at once instead of as a failed REST call.
            config = JobConfig.load(action.config);
            if (parallelism != null) {
                config.execution.parallelism = parallelism;
                config.validate();
            }
        } catch (IllegalArgumentException e) {
            err.println("[submit] " + e.getMessage());
            return 2;
        }
        warnAboutNamesakes(flink, config.jobName);
        List<String> args = new ArrayList<>(List.of("--config-base64",
                Base64.getEncoder().encodeToString(Files.readAllBytes(action.config))));
        if (parallelism != null) {
            args.add("--parallelism");
            args.add(Integer.toString(parallelism));
        }
        long t0 = System.nanoTime();
        String jarId = flink.uploadJar(jar);
        err.printf("[submit] uploaded %s (%d MB) in %d ms%n", jar.getFileName(), Files.size(jar) >> 20, ms(t0));
        String jobId;
        try {
            jobId = flink.runJar(jarId, ENTRY_CLASS, args, parallelism, fromSavepoint);
        } finally {
            try {
                flink.deleteJar(jarId);
            } catch (java.io.IOException e) {
                err.println("[submit] (could not delete the uploaded jar: " + e.getMessage() + ")");
            }
        }
        err.println("[submit] job " + jobId + " submitted" + (fromSavepoint == null ? "" : " from " + fromSavepoint)
                + "; waiting until all its tasks run");
        flink.awaitRunning(jobId, timeout);
        err.printf("[submit] job %s RUNNING %d ms after the upload started%n", jobId, ms(t0));
        out.println(jobId);
        out.println(flink.webUiLink(jobId));
        return 0;
    }

    /** Two running jobs of one config would share its consumer group and topics: say so. */
    private void warnAboutNamesakes(FlinkRestClient flink, String name) {
        try {
            for (JsonNode j : flink.jobsOverview()) {
                if (name.equals(j.path("name").asText()) && "RUNNING".equals(j.path("state").asText())) {
                    err.println("[submit] warning: job " + j.path("jid").asText() + " named '" + name
                            + "' is already running (stop it first for an upgrade: --stop JOB_ID)");
                }
            }
        } catch (java.io.IOException e) {
            // reported by the upload that follows
        }
    }

    static URI defaultRest() {
        String env = System.getenv("STREAMINFER_FLINK_REST");
        return URI.create(env == null || env.isBlank() ? "http://localhost:8081" : env);
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
