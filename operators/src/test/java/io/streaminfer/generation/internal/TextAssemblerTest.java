package io.streaminfer.generation.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextAssemblerTest {
    @Test
    void aCharacterSplitAcrossTokensWaitsForItsLastByte() {
        TextAssembler t = new TextAssembler(List.of());
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // 3 bytes
        t.add("a".getBytes(StandardCharsets.UTF_8));
        assertThat(t.take()).isEqualTo("a");
        t.add(new byte[] {euro[0]});
        assertThat(t.take()).isEmpty();
        t.add(new byte[] {euro[1], euro[2], 'b'});
        assertThat(t.take()).isEqualTo("€b");
    }

    @Test
    void textThatMayBeginAStopSequenceIsHeldBackAndAStopSequenceEndsTheText() {
        TextAssembler t = new TextAssembler(List.of("END", "\n\n"));
        assertThat(t.add(bytes("Hello E"))).isFalse();
        assertThat(t.take()).isEqualTo("Hello ");
        assertThat(t.add(bytes("N"))).isFalse();
        assertThat(t.take()).isEmpty();
        assertThat(t.add(bytes("Dless"))).isTrue();
        assertThat(t.take()).isEmpty();
        assertThat(t.text()).isEqualTo("Hello ");
    }

    @Test
    void heldTextThatTurnsOutNotToBeAStopSequenceIsReleased() {
        TextAssembler t = new TextAssembler(List.of("END"));
        t.add(bytes("an E"));
        assertThat(t.take()).isEqualTo("an ");
        t.add(bytes("Nx"));
        assertThat(t.take()).isEqualTo("ENx");
        t.add(bytes("E"));
        t.finish();
        assertThat(t.take()).isEqualTo("E");
        assertThat(t.text()).isEqualTo("an ENxE");
    }

    @Test
    void anUnfinishedCharacterAtTheEndBecomesAReplacementCharacter() {
        TextAssembler t = new TextAssembler(List.of());
        t.add(new byte[] {'x', (byte) 0xE2, (byte) 0x82});
        assertThat(t.take()).isEqualTo("x");
        t.finish();
        assertThat(t.take()).isEqualTo("\uFFFD");
    }

    @Test
    void completeLengthFindsTheLastCharactersBoundary() {
        assertThat(TextAssembler.completeLength(bytes("abc"))).isEqualTo(3);
        assertThat(TextAssembler.completeLength(new byte[] {'a', (byte) 0xC3})).isEqualTo(1);
        assertThat(TextAssembler.completeLength(new byte[] {'a', (byte) 0xC3, (byte) 0xA9})).isEqualTo(3);
        assertThat(TextAssembler.completeLength(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98})).isZero();
        assertThat(TextAssembler.completeLength(new byte[] {(byte) 0xFF})).isEqualTo(1);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
