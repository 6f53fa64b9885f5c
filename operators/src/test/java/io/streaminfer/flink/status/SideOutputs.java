package io.streaminfer.flink.status;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/** Reads what a test harness emitted on a side output (empty when nothing was). */
final class SideOutputs {
    private SideOutputs() {}

    static <T> List<T> of(AbstractStreamOperatorTestHarness<?> h, OutputTag<T> tag) {
        List<T> out = new ArrayList<>();
        var queue = h.getSideOutput(tag);
        if (queue != null) {
            for (StreamRecord<T> r : queue) {
                out.add(r.getValue());
            }
        }
        return out;
    }
}
