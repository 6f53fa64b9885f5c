package io.streaminfer.flink.metrics;

import io.streaminfer.generation.EngineListener;
import io.streaminfer.generation.FinishReason;
import io.streaminfer.generation.GenerationEngine;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A generative model's metrics in Flink's metric system (and so Prometheus), under {@code generation/<model>}, named
 * after what vLLM exports: time to first token, inter-token latency, queue time, prefill and decode time per step,
 * running and waiting sequences, key/value cache in use, tokens, and sequences ended by reason. No preemption counter:
 * the engine reserves each sequence's cache at admission and never preempts.
 */
public final class GenerationMetrics implements EngineListener {
    private final Histogram timeToFirstTokenUs;
    private final Histogram interTokenUs;
    private final Histogram queueUs;
    private final Histogram prefillStepUs;
    private final Histogram decodeStepUs;
    private final Histogram decodeRows;
    private final Counter generatedTokens;
    private final Counter promptTokens;
    private final Counter steps;
    private final Map<FinishReason, Counter> finished = new EnumMap<>(FinishReason.class);

    public GenerationMetrics(MetricGroup group) {
        timeToFirstTokenUs = group.histogram("timeToFirstTokenUs", new DescriptiveStatisticsHistogram(10_000));
        interTokenUs = group.histogram("interTokenUs", new DescriptiveStatisticsHistogram(10_000));
        queueUs = group.histogram("queueUs", new DescriptiveStatisticsHistogram(10_000));
        prefillStepUs = group.histogram("prefillStepUs", new DescriptiveStatisticsHistogram(2_000));
        decodeStepUs = group.histogram("decodeStepUs", new DescriptiveStatisticsHistogram(2_000));
        decodeRows = group.histogram("decodeRows", new DescriptiveStatisticsHistogram(2_000));
        generatedTokens = group.counter("generatedTokens", new ThreadSafeSimpleCounter());
        promptTokens = group.counter("promptTokens", new ThreadSafeSimpleCounter());
        steps = group.counter("steps", new ThreadSafeSimpleCounter());
        MetricGroup ended = group.addGroup("finished");
        for (FinishReason r : FinishReason.values()) {
            finished.put(r, ended.counter(r.wireName().toLowerCase(Locale.ROOT), new ThreadSafeSimpleCounter()));
        }
    }

    /** The engine's gauges: sequences running (prefill included) and waiting, key/value cache bytes held. */
    public void registerGauges(MetricGroup group, GenerationEngine engine) {
        group.gauge("running", engine::running);
        group.gauge("waiting", engine::waiting);
        group.gauge("kvCacheBytes", engine::cacheBytes);
    }

    /** Sequences ended by cancellation so far (a cancel record or a lost client). */
    long cancellations() {
        return finished.get(FinishReason.CANCELLED).getCount();
    }

    @Override
    public void onAdmitted(long queueNanos) {
        queueUs.update(queueNanos / 1_000);
    }

    @Override
    public void onFirstToken(long nanos) {
        timeToFirstTokenUs.update(nanos / 1_000);
        generatedTokens.inc();
    }

    @Override
    public void onNextToken(long nanos) {
        interTokenUs.update(nanos / 1_000);
        generatedTokens.inc();
    }

    @Override
    public void onStep(int rows, long decodeNanos, int prefill, long prefillNanos) {
        steps.inc();
        if (rows > 0) {
            decodeStepUs.update(decodeNanos / 1_000);
            decodeRows.update(rows);
        }
        if (prefill > 0) {
            prefillStepUs.update(prefillNanos / 1_000);
            promptTokens.inc(prefill);
        }
    }

    @Override
    public void onFinished(FinishReason reason, int prompt, int completion) {
        finished.get(reason).inc();
    }
}
