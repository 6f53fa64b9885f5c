package io.streaminfer.job.tools.batch;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code batch submit FILE.jsonl --endpoint ...}: uploads the file, creates the batch, optionally follows it. */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Upload a JSONL file of requests and start a batch of it; print the batch.")
final class BatchSubmit implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Mixin
    BatchCommand.Connection connection;
    @Parameters(index = "0", paramLabel = "FILE.jsonl", description = "One request a line: {custom_id, method, url, "
            + "body}.")
    Path file;
    @Option(names = "--endpoint", required = true, description = "What every line calls: /v1/embeddings, "
            + "/v1/completions, /v1/chat/completions, /v2/models/{model}/infer or one model's infer path.")
    String endpoint;
    @Option(names = "--completion-window", defaultValue = "24h", description = "(default: ${DEFAULT-VALUE}).")
    String window;
    @Option(names = "--metadata", description = "key=value, repeatable.")
    Map<String, String> metadata = new LinkedHashMap<>();
    @Option(names = "--wait", description = "Show progress (on stderr) until the batch ends; then print it.")
    boolean await;
    @Option(names = "--download", paramLabel = "DIR", description = "With --wait: save the output and error files "
            + "into DIR.")
    Path download;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no such file: " + file);
        }
        if (download != null && !await) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--download needs --wait");
        }
        BatchApiClient api = connection.client();
        var err = spec.commandLine().getErr();
        JsonNode f = api.upload(file);
        err.println("uploaded " + file + " as " + f.path("id").asText() + " (" + f.path("bytes").asLong()
                + " bytes)");
        JsonNode b = api.create(f.path("id").asText(), endpoint, window, metadata);
        String id = b.path("id").asText();
        err.println("batch " + id + " " + b.path("status").asText());
        if (await) {
            b = new BatchWatch(api, connection.pollMs, err).until(id);
            if (download != null) {
                for (Path p : BatchFiles.download(api, b, download)) {
                    err.println("saved " + p);
                }
            }
        }
        BatchCommand.print(spec, b);
        return BatchCommand.exitCode(b);
    }
}
