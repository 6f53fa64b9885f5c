package io.streaminfer.bridge.batch.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void linesDoneOutOfOrderAreKeptAsALowMarkAndABitmapAndSurviveJson() {
        Progress p = Progress.start(10);
        p.markDone(2, true);
        p.markDone(0, true);
        p.markDone(5, false);
        assertThat(p.low()).isEqualTo(1);
        assertThat(p.isDone(0)).isTrue();
        assertThat(p.isDone(1)).isFalse();
        assertThat(p.isDone(2)).isTrue();
        assertThat(p.isDone(5)).isTrue();
        assertThat(p.isDone(6)).isFalse();
        p.markDone(1, true);
        assertThat(p.low()).as("0-2 done").isEqualTo(3);
        p.errors().added(new Chunk(7, "f/t/0"), 100, 1);
        p.stopped(Progress.Stop.EXPIRED);
        p.sentUpTo(8);

        Progress back = Progress.fromJson(p.toJson(1));
        assertThat(back.completed()).isEqualTo(3);
        assertThat(back.failed()).isEqualTo(1);
        assertThat(back.next()).isEqualTo(8);
        assertThat(back.stop()).isEqualTo(Progress.Stop.EXPIRED);
        assertThat(back.errors().chunks()).containsExactly(new Chunk(7, "f/t/0"));
        for (long i = 0; i < 10; i++) {
            assertThat(back.isDone(i)).as("line " + i).isEqualTo(p.isDone(i));
        }
    }

    @Test
    void aLineIsCountedOnceAndTheBatchIsDoneWhenEveryLineIs() {
        Progress p = Progress.start(3);
        for (long i : List.of(2L, 1L, 1L, 0L)) {
            p.markDone(i, i != 1);
        }
        assertThat(p.completed()).isEqualTo(2);
        assertThat(p.failed()).isEqualTo(1);
        assertThat(p.allDone()).isTrue();
        assertThat(Progress.fromJson(p.toJson(1)).allDone()).isTrue();
    }

    @Test
    void aCancelWinsOverAnExpiry() {
        Progress p = Progress.start(1);
        p.stopped(Progress.Stop.CANCELLED);
        p.stopped(Progress.Stop.EXPIRED);
        assertThat(p.stop()).isEqualTo(Progress.Stop.CANCELLED);
    }
}
