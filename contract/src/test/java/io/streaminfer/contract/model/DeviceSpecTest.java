package io.streaminfer.contract.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceSpecTest {

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource({
        "auto,    AUTO, -1, auto",
        "AUTO,    AUTO, -1, auto",
        "cpu,     CPU,  -1, cpu",
        "' cpu ', CPU,  -1, cpu",
        "gpu,     GPU,   0, gpu:0",
        "cuda,    GPU,   0, gpu:0",
        "gpu:2,   GPU,   2, gpu:2",
        "GPU:3,   GPU,   3, gpu:3",
        "cuda:1,  GPU,   1, gpu:1",
    })
    void parsesValidSpellings(String text, DeviceSpec.Type type, int index, String canonical) {
        DeviceSpec d = DeviceSpec.parse(text);

        assertThat(d.type()).isEqualTo(type);
        assertThat(d.index()).isEqualTo(index);
        assertThat(d).hasToString(canonical);
        assertThat(DeviceSpec.parse(d.toString())).as("toString parses back").isEqualTo(d);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "tpu", "gpu:", "gpu:x", "gpu:1.5", "cuda:one", "gpu1", "cpu:0", "gpu:-1"})
    void refusesBadValues(String text) {
        assertThatThrownBy(() -> DeviceSpec.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void badValueMessageNamesTheValueAndTheChoices() {
        assertThatThrownBy(() -> DeviceSpec.parse("tpu"))
                .hasMessageContaining("'tpu'").hasMessageContaining("auto, cpu, gpu or gpu:N");
    }

    @Test
    void nullIsRefused() {
        assertThatThrownBy(() -> DeviceSpec.parse(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void gpuIndexMustBeNonNegative() {
        assertThat(DeviceSpec.gpu(0)).isEqualTo(DeviceSpec.parse("gpu"));
        assertThatThrownBy(() -> DeviceSpec.gpu(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void equalityIsByTypeAndIndex() {
        assertThat(DeviceSpec.gpu(1)).isEqualTo(DeviceSpec.parse("cuda:1")).hasSameHashCodeAs(DeviceSpec.gpu(1));
        assertThat(DeviceSpec.gpu(1)).isNotEqualTo(DeviceSpec.gpu(2));
        assertThat(DeviceSpec.CPU).isNotEqualTo(DeviceSpec.AUTO);
    }
}
