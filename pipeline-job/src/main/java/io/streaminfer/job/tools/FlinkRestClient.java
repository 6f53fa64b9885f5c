package io.streaminfer.job.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The parts of Flink's REST API that {@code flink run}, {@code flink stop} and {@code flink cancel} use, over plain
 * HTTP: no Flink client classes, so it works against any Flink 2.x cluster and needs nothing but the JDK and Jackson.
 *
 * <pre>{@code
 * FlinkRestClient flink = new FlinkRestClient(URI.create("http://localhost:8081"));
 * String jar = flink.uploadJar(Path.of("pipeline-job-0.1.0-SNAPSHOT-job.jar"));
 * String job = flink.runJar(jar, "io.streaminfer.job.InferenceJob", List.of("--config-base64", b64), null, null);
 * flink.awaitRunning(job, Duration.ofMinutes(3));
 * String savepoint = flink.stopWithSavepoint(job, null, Duration.ofMinutes(5));
 * }</pre>
 */
public final class FlinkRestClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TERMINAL = Set.of("FAILED", "CANCELED", "FINISHED", "SUSPENDED");
    private static final Duration POLL = Duration.ofMillis(200);

    private final URI base;
    private final HttpClient http;

    public FlinkRestClient(URI base) {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    public URI base() {
        return base;
    }

    /** The web UI page of a job. */
    public String webUiLink(String jobId) {
        return base + "/#/job/running/" + jobId + "/overview";
    }

    /** {@code POST /jars/upload}; returns the jar's id on the cluster (the name the cluster stored it under). */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "----streaminfer-" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName() + "\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(uri("/jars/upload"))
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(jar), HttpRequest.BodyPublishers.ofByteArray(tail)))
                .build();
        JsonNode body = send(request, "uploading " + jar);
        String stored = body.path("filename").asText("");
        if (!"success".equals(body.path("status").asText()) || stored.isEmpty()) {
            throw new IOException("jar upload to " + base + " was not accepted: " + body);
        }
        return Path.of(stored).getFileName().toString();
    }

    /**
     * {@code POST /jars/<id>/run}: the cluster runs the jar's {@code main} and returns the job ID. {@code parallelism}
     * and {@code savepointPath} may be null.
     */
    public String runJar(String jarId, String entryClass, List<String> args, Integer parallelism, String savepointPath)
            throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("entryClass", entryClass);
        ArrayNode argList = body.putArray("programArgsList");
        args.forEach(argList::add);
        if (parallelism != null) {
            body.put("parallelism", parallelism);
        }
        if (savepointPath != null) {
            body.put("savepointPath", savepointPath);
            // A removed operator must fail the restore loudly rather than silently drop request state.
            body.put("allowNonRestoredState", false);
        }
        JsonNode response = send(post("/jars/" + jarId + "/run", body, Duration.ofMinutes(5)), "running the job");
        String jobId = response.path("jobid").asText("");
        if (jobId.isEmpty()) {
            throw new IOException("the cluster ran the jar but returned no job ID: " + response);
        }
        return jobId;
    }

    /** {@code DELETE /jars/<id>}: the running job keeps its own copy; this only tidies the upload directory. */
    public void deleteJar(String jarId) throws IOException {
        send(HttpRequest.newBuilder(uri("/jars/" + jarId)).timeout(Duration.ofSeconds(30)).DELETE().build(),
                "deleting the uploaded jar");
    }

    /** {@code GET /jobs/<id>}: state, vertices with their task counts per state, timestamps. */
    public JsonNode job(String jobId) throws IOException {
        return get("/jobs/" + jobId);
    }

    /** {@code GET /jobs/overview}: every job the cluster knows, with name and state. */
    public JsonNode jobsOverview() throws IOException {
        return get("/jobs/overview").path("jobs");
    }

    /** {@code GET /overview}: registered task managers, slots, job counts. */
    public JsonNode clusterOverview() throws IOException {
        return get("/overview");
    }

    /** True when the job is RUNNING and every subtask of every vertex is RUNNING (operators opened, models loaded). */
    public static boolean allTasksRunning(JsonNode job) {
        if (!"RUNNING".equals(job.path("state").asText())) {
            return false;
        }
        JsonNode vertices = job.path("vertices");
        if (!vertices.isArray() || vertices.isEmpty()) {
            return false;
        }
        for (JsonNode v : vertices) {
            if (v.path("tasks").path("RUNNING").asInt(0) != v.path("parallelism").asInt(-1)) {
                return false;
            }
        }
        return true;
    }

    /** Waits until every task of the job runs; fails at once if the job ends, with the cluster's reason. */
    public JsonNode awaitRunning(String jobId, Duration timeout) throws IOException, InterruptedException {
        return await(jobId, FlinkRestClient::allTasksRunning, timeout, "all tasks RUNNING", null);
    }

    /**
     * Looks at a job while a wait goes on (to report progress, or to tell a wait that cannot succeed): called at
     * each poll with the job's JSON; a non-null answer ends the wait with that reason (an IOException).
     */
    @FunctionalInterface
    public interface Watch {
        String check(JsonNode job) throws IOException;
    }

    /** {@link #awaitRunning(String, Duration)}, with {@code watch} called at each poll. */
    public JsonNode awaitRunning(String jobId, Duration timeout, Watch watch) throws IOException, InterruptedException {
        return await(jobId, FlinkRestClient::allTasksRunning, timeout, "all tasks RUNNING", watch);
    }

    /** Waits until the job reaches {@code state} (e.g. FINISHED after a stop, CANCELED after a cancel). */
    public JsonNode awaitState(String jobId, String state, Duration timeout) throws IOException, InterruptedException {
        return await(jobId, j -> state.equals(j.path("state").asText()), timeout, state, null);
    }

    private JsonNode await(String jobId, Predicate<JsonNode> done, Duration timeout, String what, Watch watch)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode job = job(jobId);
            if (done.test(job)) {
                return job;
            }
            String state = job.path("state").asText();
            if (TERMINAL.contains(state)) {
                throw new IOException("job " + jobId + " ended " + state + " instead of " + what + "; cause: "
                        + rootException(jobId));
            }
            String hopeless = watch == null ? null : watch.check(job);
            if (hopeless != null) {
                throw new IOException("job " + jobId + " is " + state + ", not " + what + ": " + hopeless);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("job " + jobId + " is " + state + ", not " + what + ", after " + timeout
                        + "; last exception: " + rootException(jobId));
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** "RESTARTING, 3 of 7 tasks running" from a job's JSON ({@code GET /jobs/<id>}). */
    public static String describe(JsonNode job) {
        int running = 0;
        int total = 0;
        for (JsonNode v : job.path("vertices")) {
            running += v.path("tasks").path("RUNNING").asInt(0);
            total += v.path("parallelism").asInt(0);
        }
        return job.path("state").asText("?") + ", " + running + " of " + total + " tasks running";
    }

    /** The job's latest root exception (first lines of its stack trace), or "none". */
    public String rootException(String jobId) {
        try {
            JsonNode ex = get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries");
            if (ex.isArray() && !ex.isEmpty()) {
                String trace = ex.get(0).path("stacktrace").asText("");
                return compact(trace);
            }
            return "none";
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /**
     * {@code POST /jobs/<id>/stop}: takes a savepoint, then stops the job (FINISHED). Returns the savepoint's
     * location. {@code targetDirectory} null uses the cluster's {@code execution.checkpointing.savepoint-dir}.
     */
    public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        if (targetDirectory != null) {
            body.put("targetDirectory", targetDirectory);
        }
        body.put("drain", false);
        String trigger = send(post("/jobs/" + jobId + "/stop", body, Duration.ofSeconds(60)), "stopping the job")
                .path("request-id").asText("");
        if (trigger.isEmpty()) {
            throw new IOException("the cluster did not accept the stop request for job " + jobId);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode status = get("/jobs/" + jobId + "/savepoints/" + trigger);
            if ("COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode op = status.path("operation");
                if (op.hasNonNull("failure-cause")) {
                    String trace = op.path("failure-cause").path("stack-trace").asText(op.toString());
                    throw new IOException("stop with savepoint of job " + jobId + " failed: " + compact(trace));
                }
                String location = op.path("location").asText("");
                awaitState(jobId, "FINISHED", Duration.ofNanos(Math.max(deadline - System.nanoTime(),
                        Duration.ofSeconds(30).toNanos())));
                return location;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("no savepoint of job " + jobId + " after " + timeout);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** {@code PATCH /jobs/<id>?mode=cancel}, then waits for CANCELED. */
    public void cancel(String jobId, Duration timeout) throws IOException, InterruptedException {
        send(HttpRequest.newBuilder(uri("/jobs/" + jobId + "?mode=cancel")).timeout(Duration.ofSeconds(30))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), "cancelling job " + jobId);
        awaitState(jobId, "CANCELED", timeout);
    }

    public JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build(), "GET " + path);
    }

    private HttpRequest post(String path, JsonNode body, Duration timeout) throws IOException {
        return HttpRequest.newBuilder(uri(path)).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
    }

    private URI uri(String path) {
        return URI.create(base + path);
    }

    /** Sends; a non-2xx answer becomes an IOException with the cluster's error text. */
    private JsonNode send(HttpRequest request, String what) throws IOException {
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(what + " was interrupted", e);
        } catch (IOException e) {
            throw new IOException(what + ": cannot reach Flink's REST API at " + base + " (" + e + ")", e);
        }
        byte[] bytes = response.body();
        JsonNode body = bytes.length == 0 ? JSON.createObjectNode() : parse(bytes);
        if (response.statusCode() / 100 != 2) {
            JsonNode errors = body.path("errors");
            String text = errors.isArray() && !errors.isEmpty()
                    ? String.join("\n", JSON.convertValue(errors, String[].class))
                    : new String(bytes, StandardCharsets.UTF_8);
            throw new IOException(what + " failed: HTTP " + response.statusCode() + ": " + compact(text));
        }
        return body;
    }

    /** A server-side stack trace without its frames: the message and each "Caused by:", which say what is wrong. */
    public static String compact(String trace) {
        return trace.strip().lines()
                .filter(l -> !l.stripLeading().startsWith("at ") && !l.stripLeading().startsWith("... "))
                .limit(20)
                .reduce((a, b) -> a + "\n" + b).orElse("");
    }

    private static JsonNode parse(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return JSON.createObjectNode().put("raw", new String(bytes, StandardCharsets.UTF_8));
        }
    }
}
