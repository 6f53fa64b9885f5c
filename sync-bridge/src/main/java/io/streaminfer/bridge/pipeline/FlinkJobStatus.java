package io.streaminfer.bridge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Flink's REST API says about the pipeline job, classed for admission ({@link JobCondition}): RUNNING with
 * every task; RECOVERING while it is restarting after a task manager died, waiting for slots, starting its tasks or
 * failing over; GONE when no job of that name is active (none, or only ended ones: FAILED, CANCELED, FINISHED). The
 * detail says the state, the task managers and free slots, and the latest failure: Kafka's view (offsets that stop
 * moving) tells that late and without the cause. Plain HTTP and JSON: the bridge depends on no Flink code. When the
 * REST API cannot be reached the answer is UNKNOWN and the bridge's other checks decide.
 *
 * <pre>{@code
 * FlinkJobStatus flink = new FlinkJobStatus(URI.create("http://localhost:8081"), "streaminfer");
 * JobCondition c = flink.condition();
 * }</pre>
 */
public final class FlinkJobStatus {
    private static final Logger LOG = LoggerFactory.getLogger(FlinkJobStatus.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ENDED = Set.of("FINISHED", "CANCELED", "FAILED");
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final int MAX_FAILURE_CHARS = 300;

    private final URI base;
    private final String jobName;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private volatile boolean reachable = true;

    public FlinkJobStatus(URI restUrl, String jobName) {
        String s = restUrl.toString();
        this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.jobName = jobName;
    }

    /** The job named {@code jobName} (the newest active one, else the newest ended one); UNKNOWN if Flink is away. */
    public JobCondition condition() {
        JsonNode jobs;
        try {
            jobs = get("/jobs/overview").path("jobs");
        } catch (IOException e) {
            if (reachable) {
                LOG.warn("Flink's REST API at {} does not answer ({}); readiness relies on Kafka alone meanwhile",
                        base, e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
                reachable = false;
            }
            return JobCondition.unknown();
        }
        if (!reachable) {
            LOG.info("Flink's REST API at {} answers again", base);
            reachable = true;
        }
        JsonNode job = null;
        JsonNode ended = null;
        for (JsonNode j : jobs) {
            if (!jobName.equals(j.path("name").asText())) {
                continue;
            }
            boolean over = ENDED.contains(j.path("state").asText());
            JsonNode best = over ? ended : job;
            if (best == null || j.path("start-time").asLong() > best.path("start-time").asLong()) {
                if (over) {
                    ended = j;
                } else {
                    job = j;
                }
            }
        }
        if (job == null) {
            StringBuilder why = new StringBuilder("no pipeline job named '").append(jobName)
                    .append("' runs on the Flink cluster at ").append(base);
            if (ended != null) {
                why.append(" (the latest one ended ").append(ended.path("state").asText()).append(')');
                String failure = latestFailure(ended.path("jid").asText());
                if (failure != null) {
                    why.append("; its latest failure: ").append(failure);
                }
            }
            return JobCondition.gone(why.toString());
        }
        JsonNode tasks = job.path("tasks");
        int running = tasks.path("running").asInt();
        int total = tasks.path("total").asInt();
        String state = job.path("state").asText();
        if ("RUNNING".equals(state) && total > 0 && running == total) {
            return JobCondition.running();
        }
        // RUNNING with tasks still deploying or loading their model is a start, not a failure: say so.
        StringBuilder why = new StringBuilder("the pipeline job '").append(jobName).append("' is ")
                .append("RUNNING".equals(state) ? "starting its tasks" : state)
                .append(" (").append(running).append(" of ").append(total).append(" tasks running");
        try {
            JsonNode overview = get("/overview");
            why.append("; task managers: ").append(overview.path("taskmanagers").asInt())
                    .append(", free slots: ").append(overview.path("slots-available").asInt());
        } catch (IOException e) {
            // the job's state alone still says enough
        }
        why.append(')');
        String failure = latestFailure(job.path("jid").asText());
        if (failure != null) {
            why.append("; latest failure: ").append(failure);
        }
        return JobCondition.recovering(why.toString());
    }

    /** The first line of the job's latest exception and its innermost cause, shortened; null if none. */
    private String latestFailure(String jobId) {
        try {
            JsonNode entries = get("/jobs/" + jobId + "/exceptions?maxExceptions=1").path("exceptionHistory")
                    .path("entries");
            if (!entries.isArray() || entries.isEmpty()) {
                return null;
            }
            return summarize(entries.get(0).path("stacktrace").asText(""));
        } catch (IOException e) {
            return null;
        }
    }

    /** "Outer: message" and, when there is one, "caused by Inner: message", without package names. */
    static String summarize(String stacktrace) {
        String first = null;
        String cause = null;
        for (String line : stacktrace.strip().split("\n")) {
            String l = line.strip();
            if (first == null && !l.isEmpty()) {
                first = l;
            } else if (l.startsWith("Caused by: ")) {
                cause = l.substring("Caused by: ".length());
            }
        }
        if (first == null) {
            return null;
        }
        String s = withoutPackage(first) + (cause == null ? "" : ", caused by " + withoutPackage(cause));
        return s.length() <= MAX_FAILURE_CHARS ? s : s.substring(0, MAX_FAILURE_CHARS) + "…";
    }

    private static String withoutPackage(String line) {
        int colon = line.indexOf(':');
        String type = colon < 0 ? line : line.substring(0, colon);
        int dot = type.lastIndexOf('.');
        return dot < 0 || type.contains(" ") ? line : line.substring(dot + 1);
    }

    private JsonNode get(String path) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build();
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IOException("GET " + path + ": HTTP " + r.statusCode());
            }
            return JSON.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (IOException e) {
            // ConnectException and friends often carry no message: name them
            throw e.getMessage() != null ? e : new IOException(e.getClass().getSimpleName(), e);
        }
    }
}
