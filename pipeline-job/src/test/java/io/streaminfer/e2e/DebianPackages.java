package io.streaminfer.e2e;


import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Debian program a test runs (prometheus, chromium): found on the PATH, else installed with apt-get when the test
 * runs as root (as CI does), like {@code npm ci} installs the OpenAI client for {@link OpenAiClientIT}.
 */
final class DebianPackages {
    private static final Logger LOG = LoggerFactory.getLogger(DebianPackages.class);

    private DebianPackages() {}

    /** The program's path, installed if need be; the calling test is skipped, saying why, where it cannot be. */
    static Path required(String program, String pkg) {
        Optional<Path> p = program(program, pkg);
        // Fails rather than skips: a test that skips where its tool is missing proves nothing (.ci/run installs it).
        return p.orElseThrow(() -> new AssertionError(program + " is not installed and cannot be here (not root): "
                + "apt-get install -y " + pkg + " (Debian's package; .ci/run installs it) to run this test"));
    }

    /** The program's path, installing {@code pkg} if it is missing and this can; empty when it cannot. */
    static synchronized Optional<Path> program(String program, String pkg) {
        Optional<Path> found = onPath(program);
        if (found.isPresent() || !"root".equals(System.getProperty("user.name"))) {
            return found;
        }
        LOG.info("{} is missing: installing Debian's {} package", program, pkg);
        try {
            run(List.of("apt-get", "install", "-y", "-qq", "--no-install-recommends", pkg));
        } catch (IOException e) {
            LOG.warn("apt-get install {} failed: {}", pkg, e.getMessage());
        }
        return onPath(program);
    }

    private static void run(List<String> command) throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = b.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + ": " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroy();
            throw new IOException(e);
        }
    }

    private static Optional<Path> onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = d.isEmpty() ? null : Path.of(d, program);
            if (p != null && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
