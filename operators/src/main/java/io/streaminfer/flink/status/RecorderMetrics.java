package io.streaminfer.flink.status;

import io.streaminfer.contract.RequestState;
import io.streaminfer.flink.records.Outcome;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The recorder's metrics: final states per model ({@code model/<name>/<state>}), end-to-end latency per model
 * ({@code endToEndLatencyMs}), and counters of replays, duplicates and what a restore kept or dropped.
 */
final class RecorderMetrics {
    final Counter replaysAnswered;
    final Counter replaysInFlight;
    final Counter duplicateFinals;
    final Counter keptAcrossFailover;
    final Counter contradictionsDropped;
    final Counter acceptedLeftOut;
    private final MetricGroup group;
    private final Map<String, Map<RequestState, Counter>> finalCounts = new HashMap<>();
    private final Map<String, Histogram> latency = new HashMap<>();

    RecorderMetrics(MetricGroup group) {
        this.group = group;
        replaysAnswered = group.counter("replaysAnswered");
        replaysInFlight = group.counter("replaysWhileInFlight");
        duplicateFinals = group.counter("duplicateFinalOutcomesDropped");
        keptAcrossFailover = group.counter("finalStatesKeptAcrossFailover");
        contradictionsDropped = group.counter("contradictingFinalStatesDropped");
        acceptedLeftOut = group.counter("acceptedLeftOut");
    }

    /** A final outcome published. */
    void published(Outcome o) {
        String model = o.model == null ? "unknown" : o.model;
        finalCounts.computeIfAbsent(model, m -> new HashMap<>())
                .computeIfAbsent(o.state, s -> modelGroup(model).counter(s.name().toLowerCase(Locale.ROOT)))
                .inc();
        if (o.producedAt > 0) {
            latency.computeIfAbsent(model, m -> modelGroup(m).histogram("endToEndLatencyMs",
                    new DescriptiveStatisticsHistogram(10_000))).update(o.finishedAt - o.producedAt);
        }
    }

    private MetricGroup modelGroup(String model) {
        return group.addGroup("model", model);
    }
}
