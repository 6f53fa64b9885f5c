package io.streaminfer.job.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.config.JobConfig;
import java.io.IOException;
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
 * deploy/submit --config job.yaml --resume-from SAVEPOINT_DIR --resume-from CHECKPOINT_DIR
 *                                                   # from the newest snapshot that restores, else without state
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
    /** Snapshots tried by --resume-from before it starts without state. */
    static final int RESTORE_ATTEMPTS = 3;
    private static final int PROGRESS_SECONDS = 15;

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

    @Option(names = "--resume-from", paramLabel = "DIR", description = "Restore from the newest complete snapshot "
            + "(savepoint, or checkpoint retained after a cancellation or crash) under this local directory "
            + "(repeatable); an unreadable or failing one falls back to the next older, none at all to no saved "
            + "state. Each choice is said on stderr.")
    List<Path> resumeFrom = new ArrayList<>();

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
        if (fromSavepoint != null && !resumeFrom.isEmpty()) {
            err.println("[submit] --from-savepoint and --resume-from exclude each other: name one savepoint, or let "
                    + "--resume-from pick the newest snapshot");
            return 2;
        }
        Path localSavepoint = fromSavepoint == null ? null : localPath(fromSavepoint);
        if (localSavepoint != null && !Files.exists(localSavepoint)) {
            err.println("[submit] --from-savepoint " + fromSavepoint + ": no such savepoint on this machine");
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
            jobId = resumeFrom.isEmpty() ? runAndAwait(flink, jarId, args, fromSavepoint, timeout, t0)
                    : resume(flink, jarId, args, config, timeout, t0);
        } catch (RestoreFailed e) {
            err.println("[submit] restoring from " + fromSavepoint + " failed: " + e.getMessage());
            return 1;
        } finally {
            try {
                flink.deleteJar(jarId);
            } catch (java.io.IOException e) {
                err.println("[submit] (could not delete the uploaded jar: " + e.getMessage() + ")");
            }
        }
        out.println(jobId);
        out.println(flink.webUiLink(jobId));
        return 0;
    }

    /**
     * {@code --resume-from}: the newest snapshot whose metadata reads, then older ones, at most
     * {@value #RESTORE_ATTEMPTS} restores; without one that restores, no saved state — each step said on stderr.
     * A snapshot that fails is left on disk.
     */
    private String resume(FlinkRestClient flink, String jarId, List<String> args, JobConfig config, Duration timeout,
            long t0) throws Exception {
        int tried = 0;
        for (Snapshots.Snapshot s : Snapshots.newestFirst(resumeFrom)) {
            if (tried == RESTORE_ATTEMPTS) {
                err.println("[submit] " + RESTORE_ATTEMPTS + " snapshots failed to restore; older ones are not tried");
                break;
            }
            String bad = Snapshots.unreadable(s);
            if (bad != null) {
                err.println("[submit] skipping the " + s + ": " + bad + "; it stays on disk");
                continue;
            }
            tried++;
            err.println("[submit] resuming from the " + s + " (written " + ago(s.takenAt()) + ")");
            try {
                return runAndAwait(flink, jarId, args, s.pointer(), timeout, t0);
            } catch (RestoreFailed e) {
                err.println("[submit] could not restore from the " + s + " (it stays on disk): " + e.getMessage());
            }
        }
        err.println("[submit] no usable savepoint or retained checkpoint under " + resumeFrom + ": starting WITHOUT "
                + "saved state. " + offsetsWithoutState(config) + " Statuses and idempotency records of requests "
                + "finished before are not restored: a repeated request ID is run again.");
        return runAndAwait(flink, jarId, args, null, timeout, t0);
    }

    /** Where the Kafka source starts when no state is restored. */
    static String offsetsWithoutState(JobConfig config) {
        return config.kafka.startingOffsets.describe(config.kafka.groupId);
    }

    /** Runs the uploaded jar (restoring {@code savepoint} when not null) and waits until every task runs. */
    private String runAndAwait(FlinkRestClient flink, String jarId, List<String> args, String savepoint,
            Duration timeout, long t0) throws IOException, InterruptedException, RestoreFailed {
        String jobId;
        try {
            jobId = flink.runJar(jarId, ENTRY_CLASS, args, parallelism, savepoint);
        } catch (IOException e) {
            if (savepoint != null && isRestoreFailure(e.getMessage())) {
                throw new RestoreFailed(e.getMessage());
            }
            throw e;
        }
        err.println("[submit] job " + jobId + " submitted" + (savepoint == null ? "" : " from " + savepoint)
                + "; waiting until all its tasks run (at most " + timeout.toSeconds() + " s)");
        try {
            flink.awaitRunning(jobId, timeout, new StartWatch(flink, jobId, savepoint != null, timeout));
        } catch (IOException e) {
            if (savepoint != null && isRestoreFailure(e.getMessage())) {
                cancelQuietly(flink, jobId);
                throw new RestoreFailed(e.getMessage());
            }
            throw e;
        }
        err.printf("[submit] job %s RUNNING %d ms after the upload started%s%n", jobId, ms(t0),
                savepoint == null ? "" : ", its state restored from " + savepoint);
        return jobId;
    }

    /**
     * Said while a job starts: every {@value #PROGRESS_SECONDS} s what it is doing, and — when it restores a
     * snapshot — whether its latest failure is one of restoring state, which no retry of the same snapshot cures.
     */
    private final class StartWatch implements FlinkRestClient.Watch {
        private final FlinkRestClient flink;
        private final String jobId;
        private final boolean restoring;
        private final Duration timeout;
        private final long started = System.nanoTime();
        private long lastProgress = System.nanoTime();
        private long lastExceptionCheck;

        StartWatch(FlinkRestClient flink, String jobId, boolean restoring, Duration timeout) {
            this.flink = flink;
            this.jobId = jobId;
            this.restoring = restoring;
            this.timeout = timeout;
        }

        @Override
        public String check(JsonNode job) {
            long now = System.nanoTime();
            boolean failing = !"RUNNING".equals(job.path("state").asText())
                    && !"INITIALIZING".equals(job.path("state").asText())
                    && !"CREATED".equals(job.path("state").asText());
            String exception = null;
            if (failing && now - lastExceptionCheck > Duration.ofSeconds(2).toNanos()) {
                lastExceptionCheck = now;
                exception = flink.rootException(jobId);
                if (restoring && isRestoreFailure(exception)) {
                    return "its state could not be restored: " + exception;
                }
            }
            if (now - lastProgress > Duration.ofSeconds(PROGRESS_SECONDS).toNanos()) {
                lastProgress = now;
                err.println("[submit] still waiting for job " + jobId + " (" + FlinkRestClient.describe(job) + ") "
                        + Duration.ofNanos(now - started).toSeconds() + " s of " + timeout.toSeconds() + " s"
                        + (failing ? "; latest exception: " + firstLine(exception != null ? exception
                                : flink.rootException(jobId)) : ""));
            }
            return null;
        }
    }

    /**
     * Flink's wording when a job cannot use the snapshot it was given (missing, corrupt, incompatible state). A job
     * that cannot even start its JobMaster from a snapshot counts too (a truncated _metadata fails that way, with
     * only an EOFException as the cause): the attempt without state that follows shows whether the snapshot was it.
     */
    static boolean isRestoreFailure(String text) {
        return text != null && RESTORE_FAILURE.matcher(text).find();
    }

    private static final java.util.regex.Pattern RESTORE_FAILURE = java.util.regex.Pattern.compile(
            "(?i)checkpoint/savepoint|checkpoint or savepoint|could not restore|StreamOperatorStateContext"
                    + "|restore.{0,40}(state|backend)|_metadata|JobInitializationException");

    /** A restore failed; the snapshot is not usable by this job. */
    static final class RestoreFailed extends Exception {
        private static final long serialVersionUID = 1L;

        RestoreFailed(String message) {
            super(message);
        }
    }

    private void cancelQuietly(FlinkRestClient flink, String jobId) {
        try {
            flink.cancel(jobId, Duration.ofSeconds(60));
        } catch (IOException | RuntimeException e) {
            err.println("[submit] (cancelling job " + jobId + " failed: " + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "none";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The local file a savepoint pointer names (file:/..., file:///... or a plain absolute path); else null. */
    static Path localPath(String pointer) {
        if (pointer.startsWith("file:")) {
            return Path.of(URI.create(pointer));
        }
        return pointer.startsWith("/") ? Path.of(pointer) : null;
    }

    private static String ago(java.time.Instant t) {
        long s = Duration.between(t, java.time.Instant.now()).toSeconds();
        String when = s < 120 ? s + " s ago" : s < 7200 ? s / 60 + " min ago" : s / 3600 + " h ago";
        return t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ", " + when;
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
