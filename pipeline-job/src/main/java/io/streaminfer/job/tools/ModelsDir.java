package io.streaminfer.job.tools;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the command-line tools find the model repository when none is named. */
final class ModelsDir {
    static final String ENV = "STREAMINFER_MODELS_DIR";

    private ModelsDir() {}

    static Path resolve(Path given) {
        if (given != null) {
            return given;
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path candidate = p.resolve("deploy").resolve("models");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            p = p.getParent();
        }
        return Path.of("deploy", "models");
    }
}
