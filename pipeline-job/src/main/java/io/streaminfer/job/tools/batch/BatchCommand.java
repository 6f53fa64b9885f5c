package io.streaminfer.job.tools.batch;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.OipJson;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code deploy/bin/batch}: OpenAI's Batch API on the bridge for people, through its HTTP API only
 * ({@link BatchApiClient}; docs/batch.md).
 *
 * <pre>
 * deploy/bin/batch submit lines.jsonl --endpoint /v1/embeddings --wait --download results/
 * deploy/bin/batch status batch_0193...        # the batch object; --wait: a progress line until it ends
 * deploy/bin/batch cancel batch_0193...
 * deploy/bin/batch download batch_0193... --dir results/
 * deploy/bin/batch list --limit 10
 * </pre>
 *
 * The bridge is {@code --url} (default $STREAMINFER_BRIDGE_URL, else http://localhost:8080), its bearer token
 * {@code --token} (default $STREAMINFER_TOKEN). Exit codes: 0 the batch completed (or the call succeeded); 1 an
 * error (the bridge refused or is away); 2 bad command line; 3 the batch failed validation; 4 it ended cancelled or
 * expired.
 */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Submit, follow, cancel and download OpenAI-style batches on the bridge (docs/batch.md).",
        subcommands = {BatchSubmit.class, BatchCommand.Status.class, BatchCommand.Cancel.class,
                BatchCommand.Download.class, BatchCommand.ListBatches.class})
public final class BatchCommand implements Callable<Integer> {
    static final int FAILED_VALIDATION = 3;
    static final int STOPPED = 4;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where the bridge is and how to authenticate: every subcommand's. */
    static final class Connection {
        @Option(names = "--url", description = "The bridge (default: $STREAMINFER_BRIDGE_URL, else "
                + "http://localhost:8080).")
        String url;

        @Option(names = "--token", description = "Bearer token when the bridge has auth on (default: "
                + "$STREAMINFER_TOKEN).")
        String token;

        @Option(names = "--poll-ms", defaultValue = "1000", description = "How often --wait asks for the batch "
                + "(default: ${DEFAULT-VALUE}).")
        long pollMs;

        BatchApiClient client() {
            String u = url != null ? url : System.getenv().getOrDefault("STREAMINFER_BRIDGE_URL",
                    "http://localhost:8080");
            return new BatchApiClient(URI.create(u), token != null ? token : System.getenv("STREAMINFER_TOKEN"));
        }
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line; its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new BatchCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("batch: " + (e instanceof BatchApiClient.ApiError || e instanceof UncheckedIOException
                    ? e.getMessage() : e.toString()));
            return 1;
        });
        return cli.execute(args);
    }

    /** The exit code of a batch that ended (or of one still running: 0). */
    static int exitCode(JsonNode batch) {
        return switch (batch.path("status").asText()) {
            case "failed" -> FAILED_VALIDATION;
            case "cancelled", "expired" -> STOPPED;
            default -> 0;
        };
    }

    static void print(CommandLine.Model.CommandSpec spec, JsonNode n) {
        try {
            spec.commandLine().getOut().println(OipJson.MAPPER.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A subcommand about one batch: the connection and the batch's ID. */
    abstract static class OnBatch implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        Connection connection;
        @Parameters(index = "0", paramLabel = "BATCH_ID")
        String batchId;
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Print a batch; --wait follows it.")
    static final class Status extends OnBatch {
        @Option(names = "--wait", description = "Show progress (on stderr) until the batch ends.")
        boolean await;

        @Override
        public Integer call() throws InterruptedException {
            BatchApiClient api = connection.client();
            JsonNode b = await ? new BatchWatch(api, connection.pollMs, spec.commandLine().getErr()).until(batchId)
                    : api.batch(batchId);
            print(spec, b);
            return exitCode(b);
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a batch: lines not yet sent "
            + "are given up (batch_cancelled), lines running finish; print the batch.")
    static final class Cancel extends OnBatch {

        @Override
        public Integer call() {
            print(spec, connection.client().cancel(batchId));
            return 0;
        }
    }

    @Command(name = "download", mixinStandardHelpOptions = true, description = "Save a batch's output and error "
            + "files as <BATCH_ID>_output.jsonl and <BATCH_ID>_error.jsonl.")
    static final class Download extends OnBatch {
        @Option(names = "--dir", defaultValue = ".", description = "Where (default: the working directory).")
        Path dir;

        @Override
        public Integer call() throws IOException {
            BatchApiClient api = connection.client();
            for (Path p : BatchFiles.download(api, api.batch(batchId), dir)) {
                spec.commandLine().getOut().println(p);
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List batches, newest first.")
    static final class ListBatches implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        Connection connection;
        @Option(names = "--limit", defaultValue = "20", description = "At most this many (1-100; default: "
                + "${DEFAULT-VALUE}).")
        int limit;
        @Option(names = "--after", description = "The ID after which to start (a page's last_id).")
        String after;

        @Override
        public Integer call() {
            JsonNode page = connection.client().list(after, limit);
            PrintWriter out = spec.commandLine().getOut();
            for (JsonNode b : page.path("data")) {
                JsonNode c = b.path("request_counts");
                out.printf("%s  %-11s %s  %d/%d done, %d failed%n", b.path("id").asText(), b.path("status").asText(),
                        b.path("endpoint").asText(), c.path("completed").asLong() + c.path("failed").asLong(),
                        c.path("total").asLong(), c.path("failed").asLong());
            }
            if (page.path("has_more").asBoolean()) {
                out.println("more: --after " + page.path("last_id").asText());
            }
            return 0;
        }
    }
}
