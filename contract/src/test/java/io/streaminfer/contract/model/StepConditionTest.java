package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a graph step runs: comparisons, sets, any/all of the elements, each datatype. */
class StepConditionTest {
    static final TensorRef SCORE = TensorRef.stepOutput("lookup", "best_score");

    static StepCondition below(double v, StepCondition.Match m) {
        return new StepCondition(SCORE, v, null, null, false, m);
    }

    static Tensor floats(float... v) {
        return Tensor.ofFloats("t", new long[] {v.length}, v);
    }

    @Test
    void comparisonsAreStrictAndTakeAnyElementByDefault() {
        assertThat(below(0.5, null).test(floats(0.4f))).isTrue();
        assertThat(below(0.5, null).test(floats(0.5f))).isFalse();
        assertThat(below(0.5, null).test(floats(0.9f, 0.1f))).as("any element").isTrue();
        assertThat(below(0.5, StepCondition.Match.ALL).test(floats(0.9f, 0.1f))).isFalse();
        assertThat(below(0.5, StepCondition.Match.ALL).test(floats(0.2f, 0.1f))).isTrue();
        StepCondition range = new StepCondition(SCORE, 0.8, 0.2, null, false, null);
        assertThat(range.test(floats(0.5f))).isTrue();
        assertThat(range.test(floats(0.1f))).isFalse();
        assertThat(range.neverHolds()).isFalse();
        assertThat(new StepCondition(SCORE, 0.2, 0.8, null, false, null).neverHolds()).isTrue();
    }

    @Test
    void setsMatchNumbersBooleansAndStrings() {
        StepCondition labels = new StepCondition(SCORE, null, null, List.of(1.0, 2.0), false, null);
        assertThat(labels.test(new Tensor("t", Datatype.INT64, new long[] {1}, new long[] {2}))).isTrue();
        assertThat(labels.test(new Tensor("t", Datatype.INT64, new long[] {1}, new long[] {0}))).isFalse();
        StepCondition notIn = new StepCondition(SCORE, null, null, List.of(1.0, 2.0), true, null);
        assertThat(notIn.test(new Tensor("t", Datatype.INT64, new long[] {1}, new long[] {0}))).isTrue();
        StepCondition lang = new StepCondition(TensorRef.graphInput("lang"), null, null, List.of("en"), false, null);
        assertThat(lang.test(Tensor.ofStrings("lang", "de", "en"))).isTrue();
        assertThat(lang.test(Tensor.ofStrings("lang", "de"))).isFalse();
        StepCondition flag = new StepCondition(SCORE, null, null, List.of(true), false, null);
        assertThat(flag.test(new Tensor("t", Datatype.BOOL, new long[] {1}, new boolean[] {true}))).isTrue();
        assertThat(new StepCondition(SCORE, null, null, List.of(), false, null).neverHolds()).isTrue();
        assertThat(new StepCondition(SCORE, null, null, List.of(), true, null).neverHolds()).isFalse();
    }

    @Test
    void itPrintsAsGraphYamlSaysIt() {
        assertThat(below(0.5, StepCondition.Match.ALL)).hasToString("{output: lookup.best_score, below: 0.5, match: all}");
        assertThat(new StepCondition(SCORE, null, null, List.of("a"), true, null))
                .hasToString("{output: lookup.best_score, not_in: [a]}");
        assertThatThrownBy(() -> new StepCondition(SCORE, 1.0, null, List.of(), false, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
