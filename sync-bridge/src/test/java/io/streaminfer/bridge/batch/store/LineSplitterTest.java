package io.streaminfer.bridge.batch.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
    @Test
    void linesAcrossPiecesBlankLinesSkippedButNumberedCrlfAndALastLineWithoutNewline() {
        byte[] text = "{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}".getBytes(StandardCharsets.UTF_8);
        List<String> got = new ArrayList<>();
        LineSplitter s = new LineSplitter(true, (index, number, bytes, length) ->
                got.add(index + "@" + number + ":" + new String(bytes, 0, length, StandardCharsets.UTF_8)));
        for (int i = 0; i < text.length; i += 3) {
            s.feed(text, i, Math.min(text.length, i + 3));
        }
        s.finish();
        assertThat(got).containsExactly("0@1:{\"a\":1}", "1@4:{\"b\":2}", "2@5:{\"c\":3}");
        assertThat(s.lines()).isEqualTo(3);
    }

    @Test
    void countingAloneCopiesNothing() {
        byte[] text = "x\ny\n\nz\n".getBytes(StandardCharsets.UTF_8);
        List<Long> numbers = new ArrayList<>();
        LineSplitter s = new LineSplitter(false, (index, number, bytes, length) -> {
            assertThat(bytes).isNull();
            numbers.add(number);
        });
        s.feed(text, 0, text.length);
        s.finish();
        assertThat(numbers).containsExactly(1L, 2L, 4L);
    }
}
