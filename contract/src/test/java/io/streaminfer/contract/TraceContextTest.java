package io.streaminfer.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TraceContextTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";
    private static final String SAMPLED = "00-" + TRACE + "-" + SPAN + "-01";

    @Test
    void readsTheSpecsExampleAndWritesItBackUnchanged() {
        TraceContext t = TraceContext.parse(SAMPLED, "congo=t61rcWkgMzE");

        assertThat(t.traceId()).isEqualTo(TRACE);
        assertThat(t.parentId()).isEqualTo(SPAN);
        assertThat(t.flags()).isEqualTo(1);
        assertThat(t.sampled()).isTrue();
        assertThat(t.tracestate()).isEqualTo("congo=t61rcWkgMzE");
        assertThat(t.traceparent()).isEqualTo(SAMPLED);
    }

    @Test
    void flagsOtherThanSampledAreKept() {
        TraceContext t = TraceContext.parse("00-" + TRACE + "-" + SPAN + "-00", null);
        assertThat(t.sampled()).isFalse();
        assertThat(t.traceparent()).endsWith("-00");
        assertThat(TraceContext.parse("00-" + TRACE + "-" + SPAN + "-a3", null).traceparent()).endsWith("-a3");
    }

    @Test
    void aLaterVersionIsReadByItsFirstFieldsAndWrittenAsVersion00() {
        TraceContext t = TraceContext.parse("cc-" + TRACE + "-" + SPAN + "-01-what-the-future-holds", null);
        assertThat(t.traceparent()).isEqualTo(SAMPLED);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "00-" + TRACE + "-" + SPAN,                                       // no flags
        "00-00000000000000000000000000000000-" + SPAN + "-01",            // all-zero trace ID
        "00-" + TRACE + "-0000000000000000-01",                           // all-zero parent ID
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + SPAN + "-01",            // upper case
        "ff-" + TRACE + "-" + SPAN + "-01",                               // the forbidden version
        "00-" + TRACE + "-" + SPAN + "-01-extra",                         // version 00 has exactly four fields
        "cc-" + TRACE + "-" + SPAN + "-01x",                              // a later version's extra needs a '-'
        "00_" + TRACE + "_" + SPAN + "_01",
        "00-" + TRACE + "-" + SPAN + "-0g",
        "0x-" + TRACE + "-" + SPAN + "-01",
    })
    void anInvalidTraceparentIsNoContext(String header) {
        assertThat(TraceContext.parse(header, "a=b")).isNull();
    }

    @Test
    void absentIsNoContextAndBlankTracestateIsNone() {
        assertThat(TraceContext.parse(null, "a=b")).isNull();
        assertThat(TraceContext.parse(" " + SAMPLED + " ", "  ").tracestate()).isNull();
        assertThat(TraceContext.parse(SAMPLED, "k=" + "v".repeat(600)).tracestate()).isNull();
    }

    @Test
    void aChildKeepsTraceFlagsAndState() {
        TraceContext child = TraceContext.parse(SAMPLED, "a=b").withParent("b7ad6b7169203331");
        assertThat(child.traceparent()).isEqualTo("00-" + TRACE + "-b7ad6b7169203331-01");
        assertThat(child.tracestate()).isEqualTo("a=b");
        assertThatThrownBy(() -> child.withParent("xyz")).isInstanceOf(IllegalArgumentException.class);
    }
}
