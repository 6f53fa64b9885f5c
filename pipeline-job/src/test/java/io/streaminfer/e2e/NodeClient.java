package io.streaminfer.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The official OpenAI JavaScript client ({@code openai} from npm, unmodified) for the end-to-end tests: its folder
 * made from the committed files of src/test/resources/openai-client (package.json, package-lock.json and the
 * scripts) with {@code npm ci} into target/openai-client, so a clean checkout needs only Node.js and npm; then
 * scripts run there, each printing one JSON line the tests assert on.
 *
 * <pre>{@code
 * NodeClient.install();
 * JsonNode out = NodeClient.runScript("check.mjs", Map.of("BASE_URL", url));
 * }</pre>
 */
final class NodeClient {
    static final Path DIR = Path.of("target", "openai-client");
    private static final Path SOURCES = Path.of("src", "test", "resources", "openai-client");
    private static boolean installed;

    private NodeClient() {}

    /** The client's folder from the committed files, and {@code npm ci} there (once per JVM). */
    static synchronized void install() throws IOException, InterruptedException {
        Files.createDirectories(DIR);
        List<Path> files;
        try (Stream<Path> s = Files.list(SOURCES)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            Files.copy(f, DIR.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!installed) {
            run(Map.of(), "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
            installed = true;
        }
    }

    /** Runs {@code node script} in the client's folder; the last JSON line it printed. */
    static JsonNode runScript(String script, Map<String, String> env) throws IOException, InterruptedException {
        String stdout = run(env, "node", script);
        return OipJson.MAPPER.readTree(stdout.lines().filter(l -> l.startsWith("{")).reduce((x, y) -> y)
                .orElseThrow(() -> new AssertionError(script + " printed no JSON:\n" + stdout)));
    }

    /** Runs a command in the client's folder; its stdout, or an AssertionError with everything it printed. */
    static String run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(false);
        pb.environment().putAll(env);
        Path stderr = Files.createTempFile("openai-client", ".err");
        pb.redirectError(stderr.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError("'" + command[0] + "' could not be started: this test needs Node.js 20+ and npm "
                    + "on the PATH (the official OpenAI client is an npm package): " + e.getMessage(), e);
        }
        byte[] stdout = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 5 minutes");
        }
        String out = new String(stdout, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + out + "\n"
                    + Files.readString(stderr));
        }
        return out;
    }
}
