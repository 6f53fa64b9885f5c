package io.streaminfer.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DatatypeTest {

    @ParameterizedTest
    @EnumSource(Datatype.class)
    void parsesItsOwnName(Datatype d) {
        assertThat(Datatype.parse(d.name())).isSameAs(d);
    }

    @Test
    void unknownOrNullNameListsTheValidNames() {
        assertThatThrownBy(() -> Datatype.parse("FLOAT"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'FLOAT'")
                .hasMessageContaining(Fixtures.names(Datatype.values()));
        assertThatThrownBy(() -> Datatype.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void integerRangesMatchTheirWidths() {
        assertThat(Datatype.INT8.fits(-128)).isTrue();
        assertThat(Datatype.INT8.fits(128)).isFalse();
        assertThat(Datatype.UINT8.fits(255)).isTrue();
        assertThat(Datatype.UINT8.fits(-1)).isFalse();
        assertThat(Datatype.INT16.fits(Short.MIN_VALUE)).isTrue();
        assertThat(Datatype.UINT16.fits(65_536)).isFalse();
        assertThat(Datatype.INT32.fits(Integer.MAX_VALUE + 1L)).isFalse();
        assertThat(Datatype.UINT32.fits(4_294_967_295L)).isTrue();
        assertThat(Datatype.UINT32.fits(4_294_967_296L)).isFalse();
        assertThat(Datatype.UINT64.fits(-1)).isFalse();
        assertThat(Datatype.INT64.fits(Long.MIN_VALUE)).isTrue();
        assertThat(Datatype.BOOL.fits(1)).isTrue();
        assertThat(Datatype.BOOL.fits(2)).isFalse();
    }

    @Test
    void storageOfEachType() {
        assertThat(Datatype.BOOL.storage()).isEqualTo(Datatype.Storage.BOOL);
        assertThat(Datatype.UINT64.storage()).isEqualTo(Datatype.Storage.LONG);
        assertThat(Datatype.FP16.storage()).isEqualTo(Datatype.Storage.FLOAT);
        assertThat(Datatype.FP64.storage()).isEqualTo(Datatype.Storage.DOUBLE);
        assertThat(Datatype.BYTES.storage()).isEqualTo(Datatype.Storage.STRING);
    }
}
