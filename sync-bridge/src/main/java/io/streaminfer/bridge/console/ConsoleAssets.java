package io.streaminfer.bridge.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The console's static files, read once from this package's resources: a fixed list, so no path from a request
 * ever reaches the class loader.
 */
final class ConsoleAssets {
    record Asset(String contentType, byte[] bytes) {}

    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.css", "text/css; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "charts.js", "text/javascript; charset=utf-8",
            "metrics.js", "text/javascript; charset=utf-8");

    private final Map<String, Asset> assets;

    private ConsoleAssets(Map<String, Asset> assets) {
        this.assets = assets;
    }

    static ConsoleAssets load() {
        Map<String, Asset> loaded = new HashMap<>();
        FILES.forEach((name, type) -> loaded.put(name, new Asset(type, read(name))));
        return new ConsoleAssets(Map.copyOf(loaded));
    }

    /** Null when there is no such file. */
    Asset get(String name) {
        return assets.get(name);
    }

    private static byte[] read(String name) {
        try (InputStream in = ConsoleAssets.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the console's " + name + " is missing from the bridge's classes "
                        + "(sync-bridge/src/main/resources/io/streaminfer/bridge/console/): rebuild the bridge");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
