package io.streaminfer.bridge.infer;

import java.util.List;

/** What the bridge says about itself in OIP server metadata, on HTTP ({@code GET /v2}) and gRPC alike. */
public final class ServerInfo {
    public static final String NAME = "streaminfer-bridge";
    public static final String VERSION = "0.1.0";
    /** Triton's extension names where the bridge implements them (statistics and repository index: docs/bridge.md). */
    public static final List<String> EXTENSIONS = List.of("binary_tensor_data", "model_configuration", "statistics",
            "model_repository", "async_jobs", "server_sent_events", "callbacks");

    private ServerInfo() {}
}
