package io.streaminfer.job.tools;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelKind;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelRuntime;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.RuntimeOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deploy/bin/infer}: runs one request through a model of the repository, locally, and prints the OIP response.
 *
 * <pre>
 * deploy/bin/infer --model all-minilm-l6-v2 --text "A man is eating food."
 * deploy/bin/infer --model tiny-mlp --request request.json      # an OIP request body ("-" reads stdin)
 * deploy/bin/infer --check                                        # every problem of every model and graph
 * deploy/bin/infer --model sotu-gpt --text "The state of the union" --max-tokens 40 --stream
 * </pre>
 *
 * For a generative model {@code --text} is the prompt, and {@code --max-tokens}, {@code --temperature}, {@code
 * --seed} and {@code --stream} (the text on stderr as it comes) apply; the request runs on an engine of its own.
 *
 * Exit codes: 0 success; 2 bad command line; 3 invalid input (HTTP 400 on the bridge); 4 unknown model (404);
 * 5 the model failed; 1 anything else (a broken model repository, say). Errors print as OIP error JSON on stdout and
 * as a sentence on stderr.
 */
@Command(name = "infer", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run one inference request on a model of the repository and print the OIP response JSON.")
public final class InferCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Model name (a folder of the repository).")
    String model;

    @Option(names = "--check", description = "Check the whole repository (models and graphs), print every problem, "
            + "and exit 0 when there is none, 1 otherwise; runs nothing.")
    boolean check;

    @Option(names = "--model-version", description = "Model version (default: the latest).")
    String version;

    @Option(names = "--text", description = "A text row for a text model; repeat for several rows.")
    List<String> texts;

    @Option(names = "--request", description = "A file holding an OIP request JSON body; '-' reads standard input.")
    String requestFile;

    @Option(names = "--id", defaultValue = "cli-1", description = "The request id (default: ${DEFAULT-VALUE}).")
    String id;

    @Option(names = "--models-dir", description = "The model repository (default: $STREAMINFER_MODELS_DIR, else "
            + "deploy/models above the working directory).")
    Path modelsDir;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (default: the model's own setting).")
    String device;

    @Option(names = "--pretty", description = "Indent the JSON.")
    boolean pretty;

    @Option(names = "--max-tokens", description = "Generative models: new tokens at most (default: the model's).")
    Integer maxTokens;

    @Option(names = "--temperature", description = "Generative models: 0 is greedy (default 1.0).")
    Double temperature;

    @Option(names = "--seed", description = "Generative models: a seed for sampling.")
    Long seed;

    @Option(names = "--stream", description = "Generative models: print the text to stderr as it is generated.")
    boolean stream;

    private final PrintStream out;
    private final PrintStream err;

    public InferCommand() {
        this(System.out, System.err);
    }

    InferCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new InferCommand(out, err));
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        if (check) {
            return check();
        }
        if (model == null) {
            return fail(null, "give --model (or --check to check the repository)", 2);
        }
        if (isGraph()) {
            return fail(null, "'" + model + "' is a graph of models: the pipeline job runs it (send it through "
                    + "Kafka or the bridge); here, run its steps' models one by one, or --check it", 2);
        }
        if ((texts == null) == (requestFile == null)) {
            return fail(null, "give either --text (one or more) or --request FILE", 2);
        }
        InferenceRequest request;
        try {
            request = buildRequest();
        } catch (InferenceException e) {
            return fail(e.code(), e.getMessage(), exitCode(e.code()));
        } catch (IOException e) {
            return fail(null, "cannot read " + requestFile + ": " + e.getMessage(), 1);
        }
        if (isGenerative()) {
            return generate(request);
        }
        RuntimeOptions.Builder options = RuntimeOptions.builder().modelsDir(ModelsDir.resolve(modelsDir))
                .models(Set.of(model)).workers(1);
        ModelRuntime runtime;
        try {
            if (device != null) {
                options.device(DeviceSpec.parse(device));
            }
            runtime = ModelRuntime.load(options.build());
        } catch (InferenceException e) {
            return fail(e.code(), e.getMessage(), exitCode(e.code()));
        } catch (RuntimeException e) {
            return fail(ErrorCode.INTERNAL, e.getMessage(), 1);
        }
        try (runtime) {
            Prediction p = runtime.predict(model, version, request);
            if (!p.isSuccess()) {
                return fail(p.errorCode(), p.error(), exitCode(p.errorCode()));
            }
            print(OipJson.writeResponse(p.response()));
            return 0;
        } catch (InferenceException e) {
            return fail(e.code(), e.getMessage(), exitCode(e.code()));
        }
    }

    /** Opens the repository as the job and the bridge do: every problem of every model and graph at once. */
    private int check() {
        Path dir = ModelsDir.resolve(modelsDir);
        ModelRepository repository;
        try {
            repository = ModelRepository.open(dir);
        } catch (IllegalStateException e) {
            out.println(e.getMessage());
            err.println("infer: the model repository " + dir + " has problems (above)");
            return 1;
        }
        int graphs = repository.graphs().size();
        out.println("model repository " + dir.toAbsolutePath() + ": " + (repository.models().size() - graphs)
                + " model(s) and " + graphs + " graph(s), no problem");
        for (ModelRepository.ModelEntry e : repository.models()) {
            out.println("  " + e.name() + " (" + e.config().kind().yamlName() + ") versions " + e.versions());
        }
        return 0;
    }

    private int generate(InferenceRequest request) {
        try {
            ModelVersion v = ModelRepository.open(ModelsDir.resolve(modelsDir)).resolve(model, version);
            InferenceResponse response = GenerateOnce.run(v, device == null ? null : DeviceSpec.parse(device),
                    request, stream ? err : null);
            print(OipJson.writeResponse(response));
            return 0;
        } catch (InferenceException e) {
            return fail(e.code(), e.getMessage(), exitCode(e.code()));
        } catch (RuntimeException e) {
            return fail(ErrorCode.INTERNAL, e.getMessage(), 1);
        }
    }

    private boolean isGenerative() {
        try {
            Path config = ModelsDir.resolve(modelsDir).resolve(model).resolve("model.yaml");
            return Files.isRegularFile(config) && ModelRepository.readConfig(config).isGenerative();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private boolean isGraph() {
        try {
            Path config = ModelsDir.resolve(modelsDir).resolve(model).resolve("model.yaml");
            return Files.isRegularFile(config) && ModelRepository.readConfig(config).isGraph();
        } catch (IOException | RuntimeException e) {
            return false; // the runtime reports a broken config properly when it loads
        }
    }

    private InferenceRequest buildRequest() throws IOException {
        if (texts != null && isGenerative()) {
            if (texts.size() != 1) {
                throw InferenceException.invalidInput("a generative model takes one prompt: give --text once");
            }
            Map<String, Object> parameters = new LinkedHashMap<>();
            if (maxTokens != null) {
                parameters.put("max_tokens", maxTokens);
            }
            if (temperature != null) {
                parameters.put("temperature", temperature);
            }
            if (seed != null) {
                parameters.put("seed", seed);
            }
            return new InferenceRequest(id, parameters, List.of(Tensor.ofStrings(GenerationOptions.TEXT_INPUT,
                    texts.get(0))), null);
        }
        if (texts != null) {
            return new InferenceRequest(id, List.of(Tensor.ofStrings(textInputName(), texts.toArray(new String[0]))));
        }
        byte[] body = "-".equals(requestFile) ? System.in.readAllBytes() : Files.readAllBytes(Path.of(requestFile));
        InferenceRequest r = OipJson.parseRequest(body);
        return r.id() == null ? r.withId(id) : r;
    }

    /** The text input's declared name, so --text works for any text model; "text" when the config is unreadable. */
    private String textInputName() {
        try {
            Path config = ModelsDir.resolve(modelsDir).resolve(model).resolve("model.yaml");
            if (Files.isRegularFile(config)) {
                var c = ModelRepository.readConfig(config);
                if (c.kind() != ModelKind.TEXT_EMBEDDING) {
                    throw InferenceException.invalidInput("--text needs a text model; '" + model + "' is of kind "
                            + c.kind().yamlName() + ": pass an OIP request with --request");
                }
                return c.inputs().get(0).name();
            }
        } catch (IOException e) {
            // the runtime reports a broken config properly when it loads
        }
        return "text";
    }

    private void print(byte[] json) {
        if (pretty) {
            try {
                json = OipJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(OipJson.MAPPER.readTree(json));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        out.println(new String(json, StandardCharsets.UTF_8));
    }

    private int fail(ErrorCode code, String message, int exit) {
        print(OipJson.writeError(id, code, message));
        err.println("infer: " + message);
        return exit;
    }

    static int exitCode(ErrorCode code) {
        if (code == null) {
            return 1;
        }
        switch (code) {
            case MALFORMED_REQUEST:
            case INVALID_INPUT:
            case PAYLOAD_TOO_LARGE:
                return 3;
            case UNKNOWN_MODEL:
                return 4;
            case MODEL_ERROR:
                return 5;
            default:
                return 1;
        }
    }
}
