package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {
    @TempDir
    Path root;

    private RepoFixture repo;

    @BeforeEach
    void setUp() {
        repo = new RepoFixture(root);
    }

    /** Opens the repository, asserts it is refused, and returns the message listing its problems. */
    private String problems() {
        Throwable t = catchThrowable(repo::open);
        assertThat(t).isInstanceOf(IllegalStateException.class);
        return t.getMessage();
    }

    private static InferenceException unknownModel(Runnable call) {
        Throwable t = catchThrowable(call::run);
        assertThat(t).isInstanceOf(InferenceException.class);
        InferenceException e = (InferenceException) t;
        assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_MODEL);
        return e;
    }

    @Test
    void validRepositoryLoadsEveryModel() {
        repo.textModel("minilm").tensorModel("adder");

        ModelRepository r = repo.open();

        assertThat(r.root()).isEqualTo(root);
        assertThat(r.models()).extracting(ModelRepository.ModelEntry::name).containsExactly("adder", "minilm");
        assertThat(r.model("minilm").config().kind()).isEqualTo(ModelKind.TEXT_EMBEDDING);
        assertThat(r.model("adder").config().kind()).isEqualTo(ModelKind.TENSOR);
        assertThat(r.model("adder").versions()).containsExactly("1");
    }

    @Test
    void resolveWithoutVersionGivesTheLatestNumerically() {
        repo.tensorModel("m").version("m", "2", "model.pt").version("m", "10", "model.pt")
                .version("m", "notes", "readme.txt");

        ModelRepository r = repo.open();
        ModelVersion latest = r.resolve("m", null);

        assertThat(r.model("m").versions()).as("non-numeric folders are not versions").containsExactly("1", "2", "10");
        assertThat(latest.version()).isEqualTo("10");
        assertThat(latest.name()).isEqualTo("m");
        assertThat(latest.key()).isEqualTo("m:10");
        assertThat(latest.directory()).isEqualTo(root.resolve("m").resolve("10"));
        assertThat(latest.modelFile()).isEqualTo(root.resolve("m").resolve("10").resolve("model.pt"));
        assertThat(latest.config()).isSameAs(r.model("m").config());
        assertThat(r.resolve("m", "")).isEqualTo(latest);
        assertThat(r.model("m").latest()).isEqualTo(latest);
    }

    @Test
    void resolveWithVersionGivesThatVersion() {
        repo.tensorModel("m").version("m", "2", "model.pt");

        ModelVersion v1 = repo.open().resolve("m", "1");

        assertThat(v1.version()).isEqualTo("1");
        assertThat(v1.directory()).isEqualTo(root.resolve("m").resolve("1"));
        assertThat(v1).hasToString("m:1");
    }

    @Test
    void unknownModelListsTheModelsThatExist() {
        repo.tensorModel("alpha").tensorModel("beta");
        ModelRepository r = repo.open();

        InferenceException e = unknownModel(() -> r.resolve("gamma", null));

        assertThat(e.getMessage()).contains("unknown model 'gamma'", "alpha", "beta");
        assertThat(unknownModel(() -> r.model("gamma")).getMessage()).contains("'gamma'");
    }

    @Test
    void unknownVersionListsTheVersionsThatExist() {
        repo.tensorModel("m").version("m", "3", "model.pt");
        ModelRepository r = repo.open();

        assertThat(unknownModel(() -> r.resolve("m", "2")).getMessage())
                .contains("model 'm' has no version '2'", "[1, 3]");
        assertThat(unknownModel(() -> r.resolve("m", "latest")).getMessage()).contains("'latest'");
        assertThat(unknownModel(() -> r.resolve("m", "-1")).getMessage()).contains("'-1'");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsModelName() {
        repo.tensorModel("good")
                // no model.yaml
                .version("noyaml", "1", "model.pt")
                // unknown key
                .model("unknownkey", RepoFixture.TENSOR_YAML + "batch_size: 4\n").version("unknownkey", "1", "model.pt")
                // invalid kind
                .model("badkind", RepoFixture.TENSOR_YAML.replace("kind: tensor", "kind: vision"))
                .version("badkind", "1", "model.pt")
                // text model without a text section
                .model("notext", RepoFixture.TEXT_YAML.replace("text: {}", ""))
                .version("notext", "1", "model.pt", "tokenizer.json")
                // text model whose input is not BYTES
                .model("textint", RepoFixture.TEXT_YAML.replace("datatype: BYTES", "datatype: INT64"))
                .version("textint", "1", "model.pt", "tokenizer.json")
                // tensor model with a BYTES input
                .model("tensorbytes", RepoFixture.TENSOR_YAML.replace("name: x, datatype: FP32", "name: x, datatype: BYTES"))
                .version("tensorbytes", "1", "model.pt")
                // first shape dimension not -1
                .model("fixedbatch", RepoFixture.TENSOR_YAML.replace("shape: [-1, 4]", "shape: [8, 4]"))
                .version("fixedbatch", "1", "model.pt")
                // no version folder
                .model("noversion", RepoFixture.TENSOR_YAML)
                // missing model file
                .model("nofile", RepoFixture.TENSOR_YAML).version("nofile", "1", "weights.bin")
                // missing tokenizer
                .model("notokenizer", RepoFixture.TEXT_YAML).version("notokenizer", "1", "model.pt");

        String message = problems();

        assertThat(message).contains("has 10 problem(s)");
        assertThat(message).doesNotContain("good");
        assertThat(message.lines().skip(1))
                .as("one line per problem, each starting with its model")
                .hasSize(10)
                .allSatisfy(line -> assertThat(line).startsWith("  - "));
        assertThat(message)
                .contains("noyaml: no model.yaml in ")
                .contains("unknownkey: unknown key 'batch_size'")
                .contains("badkind: invalid ").contains("unknown model kind 'vision'")
                .contains("notext: invalid ").contains("needs a 'text' section")
                .contains("textint: invalid ").contains("exactly one input of datatype BYTES")
                .contains("tensorbytes: invalid ").contains("input 'x' is BYTES")
                .contains("fixedbatch: invalid ").contains("must be -1")
                .contains("noversion: no version folder")
                .contains("nofile version 1: missing file " + root.resolve("nofile").resolve("1").resolve("model.pt"))
                .contains("notokenizer version 1: missing file "
                        + root.resolve("notokenizer").resolve("1").resolve("tokenizer.json"));
    }

    @Test
    void eachProblemLineNamesItsModel() {
        repo.model("a", "kind: vision\n").version("a", "1", "model.pt")
                .model("b", RepoFixture.TENSOR_YAML + "colour: red\n").version("b", "1", "model.pt");

        String message = problems();

        assertThat(message).contains("2 problem(s)");
        assertThat(message.lines().skip(1)).satisfiesExactly(
                first -> assertThat(first).startsWith("  - a: ").contains("kind"),
                second -> assertThat(second).startsWith("  - b: ").contains("'colour'"));
    }

    @Test
    void everyVersionMustHoldItsFiles() {
        repo.textModel("m").version("m", "2", "model.pt");

        assertThat(problems()).contains("1 problem(s)").contains("m version 2: missing file")
                .contains("tokenizer.json").doesNotContain("version 1");
    }

    @Test
    void configuredFileNamesAreTheOnesRequired() {
        repo.model("m", RepoFixture.TEXT_YAML.replace("text: {}", "text: {tokenizer: vocab.json}")
                        + "model_file: encoder.pt\n")
                .version("m", "1", "encoder.pt", "vocab.json");

        ModelVersion v = repo.open().resolve("m", null);

        assertThat(v.modelFile()).isEqualTo(root.resolve("m").resolve("1").resolve("encoder.pt"));
        assertThat(v.config().text().tokenizer()).isEqualTo("vocab.json");
    }

    @Test
    void modelFileMustBeAFileNotAFolder() throws Exception {
        repo.model("m", RepoFixture.TENSOR_YAML).version("m", "1");
        Files.createDirectories(root.resolve("m").resolve("1").resolve("model.pt"));

        assertThat(problems()).contains("m version 1: missing file");
    }

    @Test
    void emptyYamlIsReportedAsInvalid() {
        repo.model("m", "").version("m", "1", "model.pt");

        assertThat(problems()).contains("m: invalid ");
    }

    @Test
    void hiddenFoldersAndLooseFilesAreSkipped() throws Exception {
        repo.tensorModel("m");
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve("README.md"), "models");

        assertThat(repo.open().models()).extracting(ModelRepository.ModelEntry::name).containsExactly("m");
    }

    @Test
    void emptyRepositoryIsRefused() {
        assertThatThrownBy(repo::open).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holds no model folder");
    }

    @Test
    void missingRootIsRefused() {
        Path missing = root.resolve("nope");

        assertThatThrownBy(() -> ModelRepository.open(missing)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not a directory").hasMessageContaining("nope");
    }

    @Test
    void modelListIsUnmodifiable() {
        repo.tensorModel("m");
        ModelRepository r = repo.open();

        assertThatThrownBy(() -> r.models().clear()).isInstanceOf(UnsupportedOperationException.class);
    }
}
