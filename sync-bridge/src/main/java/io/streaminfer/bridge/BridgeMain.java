package io.streaminfer.bridge;

import io.streaminfer.bridge.config.BridgeConfig;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one bridge replica until TERM/INT: {@code BridgeMain --config bridge.yaml}. Without {@code --config} the
 * defaults apply (brokers at localhost:9092, port 8080). Exit code 2 for a bad config, with every problem listed.
 */
public final class BridgeMain {
    private BridgeMain() {}

    public static void main(String[] args) throws InterruptedException {
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                file = Path.of(args[++i]);
            } else if (args[i].equals("--help") || args[i].equals("-h")) {
                System.out.println("usage: BridgeMain [--config bridge.yaml]");
                return;
            } else {
                System.err.println("unknown argument '" + args[i] + "'; usage: BridgeMain [--config bridge.yaml]");
                System.exit(2);
            }
        }
        BridgeConfig config;
        try {
            config = file == null ? BridgeConfig.parse("", System.getenv()) : BridgeConfig.load(file);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Bridge bridge = Bridge.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bridge.close();
            stopped.countDown();
        }, "bridge-shutdown"));
        stopped.await();
    }
}
