package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSelectionTest {
    @Test
    void allIncludesEveryModelAndNamesNone() {
        assertThat(ModelSelection.all().includes("anything")).isTrue();
        assertThat(ModelSelection.all().isAll()).isTrue();
        assertThatThrownBy(() -> ModelSelection.all().names()).hasMessageContaining("read the repository");
    }

    @Test
    void onlyIncludesTheNamedSorted() {
        ModelSelection s = ModelSelection.only(List.of("b", "a"));
        assertThat(s.includes("a")).isTrue();
        assertThat(s.includes("c")).isFalse();
        assertThat(s.isAll()).isFalse();
        assertThat(s.names()).containsExactly("a", "b");
        assertThatThrownBy(() -> ModelSelection.only(List.of())).hasMessageContaining("ModelSelection.all()");
    }

    @Test
    void noneIncludesNothing() {
        ModelSelection none = ModelSelection.none();
        assertThat(none.includes("a")).isFalse();
        assertThat(none.isAll()).isFalse();
        assertThat(none.names()).isEmpty();
        assertThat(none).hasToString("no model");
    }

    @Test
    void bothSurviveJavaSerializationAsTheJobGraphDoes() throws Exception {
        assertThat(roundTrip(ModelSelection.all())).isSameAs(ModelSelection.all());
        assertThat(roundTrip(ModelSelection.only(List.of("x")))).isEqualTo(ModelSelection.only(List.of("x")));
    }

    private static Object roundTrip(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }
}
