package io.streaminfer.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.RequestValidator;
import io.streaminfer.contract.model.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobProbeTest {
    @TempDir
    Path dir;

    private ModelConfig config(String yaml) throws Exception {
        Path file = dir.resolve(ModelConfig.FILE_NAME);
        Files.writeString(file, yaml);
        return ModelRepository.readConfig(file);
    }

    private static InferenceRequest probe(ModelConfig config) throws Exception {
        byte[] body = JobProbe.sampleRequest(config.inputs());
        // Valid JSON first (a clearer failure than the OIP parser's), then the OIP request and the model's contract.
        JsonNode tree = OipJson.MAPPER.readTree(body);
        assertThat(tree.isObject()).isTrue();
        InferenceRequest request = OipJson.parseRequest(body);
        assertThat(RequestValidator.validate(request, config)).isEqualTo(1);
        return request;
    }

    /** Only the batch dimension may vary, and it is always -1: BOOL [2] cannot be declared, BOOL [-1, 2] is it. */
    @Test
    void bareFixedShapeIsNotADeclarableSpec() {
        assertThatThrownBy(() -> new TensorSpec("flags", Datatype.BOOL, new long[] {2}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void textEmbeddingModelBytesInput() throws Exception {
        ModelConfig config = config("kind: text-embedding\n"
                + "inputs:\n  - {name: text, datatype: BYTES, shape: [-1]}\n"
                + "outputs:\n  - {name: embedding, datatype: FP32, shape: [-1, 384]}\n"
                + "text: {tokenizer: tokenizer.json, max_length: 256, pooling: mean, normalize: true}\n");
        InferenceRequest request = probe(config);
        Tensor text = request.input("text");
        assertThat(text.datatype()).isEqualTo(Datatype.BYTES);
        assertThat(text.shape()).containsExactly(1);
        assertThat(text.strings()).containsExactly("readiness probe");
        assertThat(request.id()).isEqualTo("readiness-probe");
    }

    @Test
    void tensorModelFp32AndBoolInputs() throws Exception {
        ModelConfig config = config("kind: tensor\n"
                + "inputs:\n"
                + "  - {name: features, datatype: FP32, shape: [-1, 4]}\n"
                + "  - {name: mask, datatype: BOOL, shape: [-1, 2]}\n"
                + "outputs:\n  - {name: logits, datatype: FP32, shape: [-1, 3]}\n");
        InferenceRequest request = probe(config);

        Tensor features = request.input("features");
        assertThat(features.datatype()).isEqualTo(Datatype.FP32);
        assertThat(features.shape()).containsExactly(1, 4);
        assertThat(features.floats()).containsExactly(1f, 1f, 1f, 1f);

        Tensor mask = request.input("mask");
        assertThat(mask.datatype()).isEqualTo(Datatype.BOOL);
        assertThat(mask.shape()).containsExactly(1, 2);
        assertThat(mask.bools()).containsExactly(false, false);
    }

    @Test
    void tensorModelWithVariableInnerDimensionAndIntegerTypes() throws Exception {
        ModelConfig config = config("kind: tensor\n"
                + "inputs:\n"
                + "  - {name: ids, datatype: INT64, shape: [-1, -1]}\n"
                + "  - {name: scale, datatype: FP64, shape: [-1]}\n"
                + "  - {name: grid, datatype: INT32, shape: [-1, 2, 3]}\n"
                + "outputs:\n  - {name: out, datatype: FP32, shape: [-1]}\n");
        InferenceRequest request = probe(config);
        assertThat(request.input("ids").shape()).containsExactly(1, 1);
        assertThat(request.input("scale").shape()).containsExactly(1);
        assertThat(request.input("grid").shape()).containsExactly(1, 2, 3);
    }

    @Test
    void repositoryExampleModelsProduceValidProbes() throws Exception {
        Path models = Path.of("..", "deploy", "models"); // surefire runs in the module's folder
        assertThat(models).as("the repository's example models, from sync-bridge/").isDirectory();
        try (var dirs = Files.list(models)) {
            List<Path> files = dirs.map(d -> d.resolve(ModelConfig.FILE_NAME)).filter(Files::isRegularFile).toList();
            assertThat(files).isNotEmpty();
            for (Path f : files) {
                probe(ModelRepository.readConfig(f));
            }
        }
    }

    @Test
    void inputNamesAreJsonEscaped() throws Exception {
        ModelConfig config = config("kind: tensor\n"
                + "inputs:\n  - {name: 'in\"put\\\\0', datatype: FP32, shape: [-1, 2]}\n"
                + "outputs:\n  - {name: out, datatype: FP32, shape: [-1]}\n");
        assertThat(config.inputs().get(0).name()).isEqualTo("in\"put\\\\0");
        probe(config);
    }
}
