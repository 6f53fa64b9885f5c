package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.Datatype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** model.yaml parsing and checks, read through {@link ModelRepository#readConfig}. */
class ModelConfigTest {
    @TempDir
    Path dir;

    private ModelConfig read(String yaml) throws IOException {
        Path file = dir.resolve(ModelConfig.FILE_NAME);
        Files.writeString(file, yaml);
        return ModelRepository.readConfig(file);
    }

    /** The message of the innermost cause, which is what the repository reports. */
    private String failure(String yaml) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> read(yaml));
        assertThat(t).as("expected the config to be refused").isNotNull();
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    @Test
    void textEmbeddingConfigLoadsWithDefaults() throws IOException {
        ModelConfig c = read(RepoFixture.TEXT_YAML);

        assertThat(c.kind()).isEqualTo(ModelKind.TEXT_EMBEDDING);
        assertThat(c.platform()).isEqualTo("pytorch_torchscript");
        assertThat(c.modelFile()).isEqualTo("model.pt");
        assertThat(c.maxBatchSize()).isEqualTo(32);
        assertThat(c.workers()).isEqualTo(1);
        assertThat(c.device()).isEqualTo(DeviceSpec.AUTO);
        assertThat(c.threads().intraOp()).isEqualTo(1);
        assertThat(c.threads().interOp()).isEqualTo(1);
        assertThat(c.description()).isNull();
        assertThat(c.inputs()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("text");
            assertThat(s.datatype()).isEqualTo(Datatype.BYTES);
            assertThat(s.shape()).containsExactly(-1);
        });
        assertThat(c.outputNames()).containsExactly("embedding");
        assertThat(c.outputs().get(0).shape()).containsExactly(-1, 384);
        assertThat(c.text().tokenizer()).isEqualTo("tokenizer.json");
        assertThat(c.text().maxLength()).isEqualTo(256);
        assertThat(c.text().pooling()).isEqualTo("mean");
        assertThat(c.text().normalize()).isTrue();
        assertThat(c.text().overflow()).isEqualTo(ModelConfig.Overflow.TRUNCATE);
        assertThat(c.maxBatchTokens()).as("four rows of full length").isEqualTo(4 * 256);
        assertThat(c.maxBatchCost()).isEqualTo(1024);
    }

    @Test
    void costBudgetsAndOverflowAreReadAndBelongToTheirKind() throws IOException {
        ModelConfig text = read(RepoFixture.TEXT_YAML.replace("text: {}", "text: {max_length: 128, overflow: refuse}")
                + "max_batch_tokens: 2048\n");
        assertThat(text.maxBatchTokens()).isEqualTo(2048);
        assertThat(text.text().overflow()).isEqualTo(ModelConfig.Overflow.REFUSE);
        ModelConfig tensor = read(RepoFixture.TENSOR_YAML + "max_batch_elements: 4096\n");
        assertThat(tensor.maxBatchCost()).isEqualTo(4096);
        assertThat(read(RepoFixture.TENSOR_YAML).maxBatchCost()).as("rows only").isZero();
        assertThat(failure(RepoFixture.TENSOR_YAML + "max_batch_tokens: 10\n"))
                .isEqualTo("'max_batch_tokens' applies to text-embedding models only; a tensor model's budget is "
                        + "'max_batch_elements'");

        assertThat(failure(RepoFixture.TEXT_YAML + "max_batch_elements: 10\n"))
                .isEqualTo("'max_batch_elements' applies to tensor models only; a text model's budget is "
                        + "'max_batch_tokens'");
        assertThat(failure(RepoFixture.TEXT_YAML + "max_batch_tokens: 0\n"))
                .isEqualTo("'max_batch_tokens' must be >= 1 (padded tokens per model call), got 0");
        assertThat(failure(RepoFixture.TEXT_YAML.replace("text: {}", "text: {overflow: cut}")))
                .isEqualTo("'text.overflow' must be truncate or refuse, got 'cut'");
    }

    @Test
    void explicitSettingsOverrideDefaults() throws IOException {
        ModelConfig c = read(String.join("\n",
                "kind: text-embedding",
                "platform: pytorch_torchscript",
                "model_file: encoder.pt",
                "max_batch_size: 64",
                "device: cuda:1",
                "workers: 3",
                "threads: {intra_op: 4, inter_op: 2}",
                "description: a test model",
                "inputs:  [{name: text, datatype: BYTES, shape: [-1]}]",
                "outputs: [{name: embedding, datatype: FP32, shape: [-1, 8]}]",
                "text: {tokenizer: vocab.json, max_length: 128, pooling: cls, normalize: false}"));

        assertThat(c.modelFile()).isEqualTo("encoder.pt");
        assertThat(c.maxBatchSize()).isEqualTo(64);
        assertThat(c.device()).isEqualTo(DeviceSpec.gpu(1));
        assertThat(c.workers()).isEqualTo(3);
        assertThat(c.threads().intraOp()).isEqualTo(4);
        assertThat(c.threads().interOp()).isEqualTo(2);
        assertThat(c.description()).isEqualTo("a test model");
        assertThat(c.text().tokenizer()).isEqualTo("vocab.json");
        assertThat(c.text().maxLength()).isEqualTo(128);
        assertThat(c.text().pooling()).isEqualTo("cls");
        assertThat(c.text().normalize()).isFalse();
    }

    @Test
    void tensorConfigLoads() throws IOException {
        ModelConfig c = read(RepoFixture.TENSOR_YAML);

        assertThat(c.kind()).isEqualTo(ModelKind.TENSOR);
        assertThat(c.text()).isNull();
        assertThat(c.inputs()).extracting(TensorSpec::name).containsExactly("x", "mask");
        assertThat(c.inputs()).extracting(TensorSpec::datatype).containsExactly(Datatype.FP32, Datatype.BOOL);
        assertThat(c.inputs().get(1).shape()).containsExactly(-1, -1);
        assertThat(c.outputNames()).containsExactly("y", "score");
        assertThat(c.maxBatchSize()).isEqualTo(32);
    }

    @Test
    void partialThreadsUseDefaultsForTheRest() throws IOException {
        ModelConfig c = read(RepoFixture.TENSOR_YAML + "threads: {intra_op: 8}\n");

        assertThat(c.threads().intraOp()).isEqualTo(8);
        assertThat(c.threads().interOp()).isEqualTo(1);
    }

    @Test
    void unknownKeyIsRefused() {
        assertThatThrownBy(() -> read(RepoFixture.TENSOR_YAML + "max_batch: 8\n"))
                .hasMessageContaining("max_batch");
    }

    @Test
    void unknownNestedKeyIsRefused() {
        assertThatThrownBy(() -> read(RepoFixture.TENSOR_YAML + "threads: {intra: 2}\n"))
                .hasMessageContaining("intra");
    }

    @Test
    void textModelRefusals() {
        String io = "inputs:  [{name: text, datatype: BYTES, shape: [-1]}]\n"
                + "outputs: [{name: embedding, datatype: FP32, shape: [-1, 384]}]\n";
        assertThat(failure("kind: text-embedding\n" + io)).contains("needs a 'text' section");
        assertThat(failure("kind: text-embedding\n"
                + "inputs:  [{name: text, datatype: INT64, shape: [-1]}]\n"
                + "outputs: [{name: embedding, datatype: FP32, shape: [-1, 384]}]\ntext: {}\n"))
                .contains("exactly one input of datatype BYTES");
        assertThat(failure("kind: text-embedding\n"
                + "inputs:  [{name: text, datatype: BYTES, shape: [-1, 2]}]\n"
                + "outputs: [{name: embedding, datatype: FP32, shape: [-1, 384]}]\ntext: {}\n"))
                .contains("shape [-1]");
        assertThat(failure("kind: text-embedding\n"
                + "inputs:  [{name: text, datatype: BYTES, shape: [-1]}]\n"
                + "outputs: [{name: embedding, datatype: FP32, shape: [-1, -1]}]\ntext: {}\n"))
                .contains("exactly one output of datatype FP32", "fixed dim");
        assertThat(failure("kind: text-embedding\n" + io + "text: {max_length: 1}\n")).contains("text.max_length");
        assertThat(failure("kind: text-embedding\n" + io + "text: {pooling: max}\n")).contains("text.pooling", "max");
    }

    @Test
    void tensorModelRefusals() {
        assertThat(failure("kind: tensor\n"
                + "inputs:  [{name: words, datatype: BYTES, shape: [-1]}]\n"
                + "outputs: [{name: y, datatype: FP32, shape: [-1]}]\n"))
                .contains("input 'words' is BYTES");
        assertThat(failure(RepoFixture.TENSOR_YAML + "text: {}\n")).contains("'text' and 'generation' apply to");
    }

    @Test
    void generalRefusals() {
        String io = "inputs: [{name: x, datatype: FP32, shape: [-1]}]\noutputs: [{name: y, datatype: FP32, shape: [-1]}]\n";
        assertThat(failure(io)).contains("'kind' is required");
        assertThat(failure("kind: image\n" + io)).contains("unknown model kind 'image'");
        assertThat(failure("kind: tensor\nplatform: onnx\n" + io)).contains("'platform'", "onnx");
        assertThat(failure("kind: tensor\nmax_batch_size: 0\n" + io)).contains("max_batch_size", "0");
        assertThat(failure("kind: tensor\nmax_batch_size: 65537\n" + io)).contains("max_batch_size");
        assertThat(failure("kind: tensor\nworkers: 0\n" + io)).contains("'workers'");
        assertThat(failure("kind: tensor\ndevice: tpu\n" + io)).contains("'device'", "tpu");
        assertThat(failure("kind: tensor\nthreads: {intra_op: 0}\n" + io)).contains("threads.intra_op");
        assertThat(failure("kind: tensor\noutputs: [{name: y, datatype: FP32, shape: [-1]}]\n"))
                .contains("'inputs' must declare at least one input");
        assertThat(failure("kind: tensor\ninputs: [{name: x, datatype: FP32, shape: [-1]}]\n"))
                .contains("'outputs' must declare at least one output");
        assertThat(failure("kind: tensor\n"
                + "inputs: [{name: x, datatype: FP32, shape: [-1]}, {name: x, datatype: FP32, shape: [-1]}]\n"
                + "outputs: [{name: y, datatype: FP32, shape: [-1]}]\n"))
                .contains("'inputs' declares 'x' twice");
    }

    @Test
    void tensorSpecRefusals() {
        String out = "outputs: [{name: y, datatype: FP32, shape: [-1]}]\n";
        assertThat(failure("kind: tensor\ninputs: [{name: x, datatype: FP32, shape: [4]}]\n" + out))
                .contains("tensor 'x'", "must be -1", "[4]");
        assertThat(failure("kind: tensor\ninputs: [{name: x, datatype: FP32, shape: [-1, 0]}]\n" + out))
                .contains("positive or -1");
        assertThat(failure("kind: tensor\ninputs: [{name: x, datatype: FP32, shape: [-1, -2]}]\n" + out))
                .contains("positive or -1");
        assertThat(failure("kind: tensor\ninputs: [{name: x, datatype: FP32, shape: []}]\n" + out))
                .contains("needs a 'shape'");
        assertThat(failure("kind: tensor\ninputs: [{name: x, datatype: FP32}]\n" + out)).contains("needs a 'shape'");
        assertThat(failure("kind: tensor\ninputs: [{name: x, shape: [-1]}]\n" + out)).contains("needs a 'datatype'");
        assertThat(failure("kind: tensor\ninputs: [{datatype: FP32, shape: [-1]}]\n" + out)).contains("'name'");
        assertThat(failure("kind: tensor\ninputs: [{name: x, datatype: FLOAT, shape: [-1]}]\n" + out))
                .contains("unknown datatype 'FLOAT'");
    }

    @Test
    void modelKindParsesYamlNames() {
        assertThat(ModelKind.parse("text-embedding")).isEqualTo(ModelKind.TEXT_EMBEDDING);
        assertThat(ModelKind.parse("tensor")).isEqualTo(ModelKind.TENSOR);
        assertThat(ModelKind.TEXT_EMBEDDING.yamlName()).isEqualTo("text-embedding");
        assertThatThrownBy(() -> ModelKind.parse("TENSOR")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("text-embedding, tensor, generative or graph");
    }

    @Test
    void tensorSpecCopiesItsShape() {
        long[] s = {-1, 3};
        TensorSpec spec = new TensorSpec("x", Datatype.FP32, s);
        s[1] = 9;
        spec.shape()[1] = 9;

        assertThat(spec.shape()).containsExactly(-1, 3);
        assertThat(spec.rank()).isEqualTo(2);
        assertThat(spec.dim(1)).isEqualTo(3);
        assertThat(spec).hasToString("x FP32 [-1, 3]");
    }

    @Test
    void configCanBeBuiltDirectly() {
        ModelConfig c = new ModelConfig(ModelKind.TENSOR, null, null, null, "gpu", null, null,
                List.of(new TensorSpec("x", Datatype.INT64, new long[] {-1})),
                List.of(new TensorSpec("y", Datatype.FP32, new long[] {-1})), null, null);

        assertThat(c.device()).isEqualTo(DeviceSpec.gpu(0));
        assertThat(c.maxBatchSize()).isEqualTo(32);
    }
}
