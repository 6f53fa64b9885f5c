package io.streaminfer.contract.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.streaminfer.contract.Datatype;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code model.yaml} of one model in the repository. Example (the default model):
 *
 * <pre>{@code
 * kind: text-embedding
 * max_batch_size: 64
 * max_batch_tokens: 1024  # text models: padded tokens per model call (rows × longest row)
 * device: auto            # auto | cpu | gpu | gpu:N
 * workers: 2              # predictors run at once on this replica
 * threads: {intra_op: 1, inter_op: 1}
 * inputs:  [{name: text, datatype: BYTES, shape: [-1]}]
 * outputs: [{name: embedding, datatype: FP32, shape: [-1, 384]}]
 * text: {tokenizer: tokenizer.json, max_length: 256, pooling: mean, normalize: true, overflow: truncate}
 * }</pre>
 *
 * A graph ({@code kind: graph}) declares only its signature here ({@code inputs}, {@code outputs}, optionally
 * {@code max_batch_size} and {@code description}); each version folder holds its {@code graph.yaml}
 * ({@link GraphSpec}).
 *
 * <p>Unknown keys are refused, so a misspelt knob fails at start-up instead of being ignored.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class ModelConfig {
    public static final String FILE_NAME = "model.yaml";
    public static final String DEFAULT_MODEL_FILE = "model.pt";
    /** What a graph's version folder holds: its steps and output mapping ({@link GraphSpec}). */
    public static final String GRAPH_FILE = "graph.yaml";
    /** A generative model's input and output in OIP: one prompt in, one completion out. */
    public static final TensorSpec GENERATIVE_INPUT = new TensorSpec("text_input", Datatype.BYTES, new long[] {-1});
    public static final TensorSpec GENERATIVE_OUTPUT = new TensorSpec("text_output", Datatype.BYTES, new long[] {-1});
    /** A graph's platform in OIP metadata: Triton's name for a pipeline of models. */
    public static final String GRAPH_PLATFORM = "ensemble";

    private final ModelKind kind;
    private final String platform;
    private final String modelFile;
    private final int maxBatchSize;
    private final long maxBatchTokens;
    private final long maxBatchElements;
    private final String device;
    private final int workers;
    private final Threads threads;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final TextSettings text;
    private final GenerationSettings generation;
    private final String description;

    /** Without the cost budgets (their defaults apply). */
    public ModelConfig(ModelKind kind, String platform, String modelFile, Integer maxBatchSize, String device,
            Integer workers, Threads threads, List<TensorSpec> inputs, List<TensorSpec> outputs, TextSettings text,
            String description) {
        this(kind, platform, modelFile, maxBatchSize, null, null, device, workers, threads, inputs, outputs, text,
                null, description);
    }

    @JsonCreator
    public ModelConfig(@JsonProperty("kind") ModelKind kind, @JsonProperty("platform") String platform,
            @JsonProperty("model_file") String modelFile, @JsonProperty("max_batch_size") Integer maxBatchSize,
            @JsonProperty("max_batch_tokens") Long maxBatchTokens,
            @JsonProperty("max_batch_elements") Long maxBatchElements,
            @JsonProperty("device") String device, @JsonProperty("workers") Integer workers,
            @JsonProperty("threads") Threads threads, @JsonProperty("inputs") List<TensorSpec> inputs,
            @JsonProperty("outputs") List<TensorSpec> outputs, @JsonProperty("text") TextSettings text,
            @JsonProperty("generation") GenerationSettings generation,
            @JsonProperty("description") String description) {
        this.kind = Objects.requireNonNull(kind, "'kind' is required: text-embedding, tensor or graph");
        if (kind == ModelKind.GRAPH) {
            refuseForGraph(platform, "platform");
            refuseForGraph(modelFile, "model_file");
            refuseForGraph(maxBatchTokens, "max_batch_tokens");
            refuseForGraph(maxBatchElements, "max_batch_elements");
            refuseForGraph(device, "device");
            refuseForGraph(workers, "workers");
            refuseForGraph(threads, "threads");
            refuseForGraph(text, "text");
            refuseForGraph(generation, "generation");
        }
        this.platform = kind == ModelKind.GRAPH ? GRAPH_PLATFORM : platform == null ? "pytorch_torchscript" : platform;
        if (kind != ModelKind.GRAPH && !"pytorch_torchscript".equals(this.platform)) {
            throw new IllegalArgumentException("'platform' must be pytorch_torchscript (the only engine here), got '"
                    + platform + "'");
        }
        this.modelFile = kind == ModelKind.GRAPH ? GRAPH_FILE : modelFile == null ? DEFAULT_MODEL_FILE : modelFile;
        this.maxBatchSize = maxBatchSize == null ? 32 : maxBatchSize;
        if (this.maxBatchSize < 1 || this.maxBatchSize > 65_536) {
            throw new IllegalArgumentException("'max_batch_size' must be between 1 and 65536, got " + maxBatchSize);
        }
        if (maxBatchTokens != null && kind != ModelKind.TEXT_EMBEDDING) {
            throw new IllegalArgumentException("'max_batch_tokens' applies to text-embedding models only; a tensor "
                    + "model's budget is 'max_batch_elements'");
        }
        if (maxBatchElements != null && kind == ModelKind.TEXT_EMBEDDING) {
            throw new IllegalArgumentException("'max_batch_elements' applies to tensor models only; a text model's "
                    + "budget is 'max_batch_tokens'");
        }
        this.text = text;
        this.generation = generation;
        // A text model's default budget: four rows of full length.
        this.maxBatchTokens = maxBatchTokens != null ? maxBatchTokens
                : kind == ModelKind.TEXT_EMBEDDING && text != null ? 4L * text.maxLength() : 0;
        // Without a text section validate() says so; its default budget cannot be the complaint.
        if (kind == ModelKind.TEXT_EMBEDDING && text != null && this.maxBatchTokens < 1) {
            throw new IllegalArgumentException("'max_batch_tokens' must be >= 1 (padded tokens per model call), got "
                    + maxBatchTokens);
        }
        this.maxBatchElements = maxBatchElements == null ? 0 : maxBatchElements;
        if (this.maxBatchElements < 0) {
            throw new IllegalArgumentException("'max_batch_elements' must be >= 0 (0: only rows count), got "
                    + maxBatchElements);
        }
        this.device = DeviceSpec.parse(device == null ? "auto" : device).toString();
        this.workers = workers == null ? 1 : workers;
        if (this.workers < 1 || this.workers > 256) {
            throw new IllegalArgumentException("'workers' must be between 1 and 256, got " + workers);
        }
        this.threads = threads == null ? new Threads(1, 1) : threads;
        // A generative model's OIP signature is fixed: one text in, one text out (Triton's generate convention).
        this.inputs = kind == ModelKind.GENERATIVE && inputs == null ? List.of(GENERATIVE_INPUT)
                : List.copyOf(Objects.requireNonNullElse(inputs, List.of()));
        this.outputs = kind == ModelKind.GENERATIVE && outputs == null ? List.of(GENERATIVE_OUTPUT)
                : List.copyOf(Objects.requireNonNullElse(outputs, List.of()));
        this.description = description;
        validate();
    }

    /** The settings of a model's own replica mean nothing for a graph: its steps' models have theirs. */
    private static void refuseForGraph(Object value, String key) {
        if (value != null) {
            throw new IllegalArgumentException("'" + key + "' does not apply to a graph (its steps' models have "
                    + "their own); remove it");
        }
    }

    private void validate() {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("'inputs' must declare at least one input");
        }
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("'outputs' must declare at least one output");
        }
        uniqueNames(inputs, "inputs");
        uniqueNames(outputs, "outputs");
        if (kind == ModelKind.TEXT_EMBEDDING) {
            if (inputs.size() != 1 || inputs.get(0).datatype() != io.streaminfer.contract.Datatype.BYTES
                    || inputs.get(0).rank() != 1) {
                throw new IllegalArgumentException("a text-embedding model takes exactly one input of datatype BYTES "
                        + "and shape [-1], got " + inputs);
            }
            if (outputs.size() != 1 || outputs.get(0).datatype() != io.streaminfer.contract.Datatype.FP32
                    || outputs.get(0).rank() != 2 || outputs.get(0).dim(1) < 1) {
                throw new IllegalArgumentException("a text-embedding model gives exactly one output of datatype FP32 "
                        + "and shape [-1, dim] with a fixed dim, got " + outputs);
            }
            if (text == null) {
                throw new IllegalArgumentException("a text-embedding model needs a 'text' section (tokenizer, "
                        + "max_length, pooling, normalize)");
            }
        } else if (kind == ModelKind.GENERATIVE) {
            if (generation == null) {
                throw new IllegalArgumentException("a generative model needs a 'generation' section (tokenizer, "
                        + "context_length, layers, heads, head_dim, end_of_sequence)");
            }
            if (text != null) {
                throw new IllegalArgumentException("'text' applies to text-embedding models only; a generative "
                        + "model's tokenizer is in 'generation'");
            }
            if (!isOnly(inputs, GENERATIVE_INPUT) || !isOnly(outputs, GENERATIVE_OUTPUT)) {
                throw new IllegalArgumentException("a generative model's signature is fixed (input text_input, "
                        + "output text_output, BYTES [-1], one element a request); leave 'inputs' and 'outputs' out");
            }
        } else if (kind == ModelKind.TENSOR) {
            if (text != null || generation != null) {
                throw new IllegalArgumentException("'text' and 'generation' apply to text-embedding and generative "
                        + "models only; remove them");
            }
            for (TensorSpec s : inputs) {
                if (s.datatype() == io.streaminfer.contract.Datatype.BYTES) {
                    throw new IllegalArgumentException("tensor models take numeric or BOOL inputs; input '" + s.name()
                            + "' is BYTES (use kind text-embedding for text)");
                }
            }
        }
    }

    private static boolean isOnly(List<TensorSpec> specs, TensorSpec expected) {
        return specs.size() == 1 && specs.get(0).name().equals(expected.name())
                && specs.get(0).datatype() == expected.datatype();
    }

    private static void uniqueNames(List<TensorSpec> specs, String what) {
        Set<String> seen = new HashSet<>();
        for (TensorSpec s : specs) {
            if (!seen.add(s.name())) {
                throw new IllegalArgumentException("'" + what + "' declares '" + s.name() + "' twice");
            }
        }
    }

    public ModelKind kind() {
        return kind;
    }

    /** A graph of models rather than a model: nothing to load, its steps run models. */
    public boolean isGraph() {
        return kind == ModelKind.GRAPH;
    }

    public String platform() {
        return platform;
    }

    public String modelFile() {
        return modelFile;
    }

    /** Most rows one model call takes; rows of multi-row requests count. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /** Padded tokens (rows × longest row) one model call of a text model takes at most; 0 for tensor models. */
    public long maxBatchTokens() {
        return maxBatchTokens;
    }

    /** Input elements of all rows one call of a tensor model takes at most; 0: only rows count. */
    public long maxBatchElements() {
        return maxBatchElements;
    }

    /**
     * The model's cost budget per call, in the unit its requests' cost is counted: padded tokens for text models,
     * input elements for tensor models with {@code max_batch_elements}; 0 when only rows count.
     */
    public long maxBatchCost() {
        return kind == ModelKind.TEXT_EMBEDDING ? maxBatchTokens : maxBatchElements;
    }

    public DeviceSpec device() {
        return DeviceSpec.parse(device);
    }

    public int workers() {
        return workers;
    }

    public Threads threads() {
        return threads;
    }

    public List<TensorSpec> inputs() {
        return inputs;
    }

    public List<TensorSpec> outputs() {
        return outputs;
    }

    public TextSettings text() {
        return text;
    }

    /** Settings of a generative model; null for other kinds. */
    public GenerationSettings generation() {
        return generation;
    }

    /**
     * Whether one model call answers a request (text-embedding and tensor models): what the micro-batcher runs.
     * Graphs run their steps' models, generative models their engine.
     */
    public boolean isOneShot() {
        return kind == ModelKind.TEXT_EMBEDDING || kind == ModelKind.TENSOR;
    }

    /** Whether it generates text step by step ({@link ModelKind#GENERATIVE}). */
    public boolean isGenerative() {
        return kind == ModelKind.GENERATIVE;
    }

    public String description() {
        return description;
    }

    public List<String> outputNames() {
        List<String> names = new ArrayList<>(outputs.size());
        for (TensorSpec s : outputs) {
            names.add(s.name());
        }
        return names;
    }

    /** Torch thread settings. They are JVM-wide in libtorch: the runtime applies the first model's and warns on others. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class Threads {
        private final int intraOp;
        private final int interOp;

        @JsonCreator
        public Threads(@JsonProperty("intra_op") Integer intraOp, @JsonProperty("inter_op") Integer interOp) {
            this.intraOp = intraOp == null ? 1 : intraOp;
            this.interOp = interOp == null ? 1 : interOp;
            if (this.intraOp < 1 || this.interOp < 1) {
                throw new IllegalArgumentException("'threads.intra_op' and 'threads.inter_op' must be >= 1");
            }
        }

        public int intraOp() {
            return intraOp;
        }

        public int interOp() {
            return interOp;
        }
    }

    /** Settings of text-embedding models. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class TextSettings {
        private final String tokenizer;
        private final int maxLength;
        private final String pooling;
        private final boolean normalize;
        private final Overflow overflow;

        public TextSettings(String tokenizer, Integer maxLength, String pooling, Boolean normalize) {
            this(tokenizer, maxLength, pooling, normalize, null);
        }

        @JsonCreator
        public TextSettings(@JsonProperty("tokenizer") String tokenizer, @JsonProperty("max_length") Integer maxLength,
                @JsonProperty("pooling") String pooling, @JsonProperty("normalize") Boolean normalize,
                @JsonProperty("overflow") String overflow) {
            this.tokenizer = tokenizer == null ? "tokenizer.json" : tokenizer;
            this.maxLength = maxLength == null ? 256 : maxLength;
            if (this.maxLength < 2 || this.maxLength > 8192) {
                throw new IllegalArgumentException("'text.max_length' must be between 2 and 8192, got " + maxLength);
            }
            this.pooling = pooling == null ? "mean" : pooling;
            if (!this.pooling.equals("mean") && !this.pooling.equals("cls")) {
                throw new IllegalArgumentException("'text.pooling' must be mean or cls, got '" + pooling + "'");
            }
            this.normalize = normalize == null || normalize;
            this.overflow = Overflow.parse(overflow);
        }

        /** What happens to a text longer than {@code max_length} tokens. */
        public Overflow overflow() {
            return overflow;
        }

        public String tokenizer() {
            return tokenizer;
        }

        public int maxLength() {
            return maxLength;
        }

        public String pooling() {
            return pooling;
        }

        public boolean normalize() {
            return normalize;
        }
    }

    /** A text longer than the model's {@code max_length} tokens: cut to it (as sentence-transformers does), or refused. */
    public enum Overflow {
        TRUNCATE, REFUSE;

        static Overflow parse(String value) {
            if (value == null || value.equals("truncate")) {
                return TRUNCATE;
            }
            if (value.equals("refuse")) {
                return REFUSE;
            }
            throw new IllegalArgumentException("'text.overflow' must be truncate or refuse, got '" + value + "'");
        }
    }
}
