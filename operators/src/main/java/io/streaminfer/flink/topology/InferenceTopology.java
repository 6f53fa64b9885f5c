package io.streaminfer.flink.topology;

import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelSelection;
import io.streaminfer.flink.graph.GraphPlan;
import io.streaminfer.flink.inference.BatchingInferenceFunction;
import io.streaminfer.flink.inference.InferenceSettings;
import io.streaminfer.flink.ingest.RequestParser;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.records.StatusUpdate;
import io.streaminfer.flink.status.AdmissionTracker;
import io.streaminfer.flink.status.OutcomeRecorder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's operators between the requests source and the sinks, in one place:
 *
 * <pre>
 * requests → parse, validate, prepare (tokenize) ─rejected─→ dead letters, and a FAILED outcome ─┐
 *        → keyBy(id) ───────────────────────────────────────────────────────────────────────────┘
 *        → admission (admit once; duplicates → replay; past deadline → EXPIRED)
 *        → [branches: graph requests to their graph's steps ({@link RequestBranch})]
 *        → micro-batched inference (async)                    decided outcomes pass through
 *        → (still keyed by id) outcomes: ACCEPTED, then one final outcome per ID → results, statuses
 * </pre>
 *
 * One shuffle: from admission to the sinks everything runs on forward edges, in one task per subtask when no branch
 * is served (with branches the recorder has several inputs and runs as a task of its own). The rules the operators
 * rely on are kept here and in each {@link RequestBranch} (see the package documentation). Operator uids are stable,
 * so savepoints survive upgrades of the job.
 *
 * <pre>{@code
 * DataStream<RawRecord> requests = env.fromSource(kafkaSource, WatermarkStrategy.noWatermarks(), "requests")
 *         .uid("requests-source");
 * InferenceTopology.Outputs out = InferenceTopology.builder()
 *         .settings(settings)               // TopologySettings: models, TTLs, batching, ...
 *         .build()                          // reads the model repository: served models, graphs
 *         .attach(requests);
 * out.results().sinkTo(resultsSink).uid("results-sink");
 * out.statuses().sinkTo(statusSink).uid("status-sink");
 * out.deadLetters().sinkTo(deadLetterSink).uid("dlq-sink");
 * }</pre>
 */
public final class InferenceTopology {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceTopology.class);

    /**
     * What the topology gives the job's sinks: results (final outcomes and replays, for the results topic),
     * statuses (every status record of every request, in order), dead letters (rejected and failed requests).
     */
    public record Outputs(DataStream<Outcome> results, DataStream<StatusUpdate> statuses,
            DataStream<Rejection> deadLetters) {
    }

    private final TopologySettings settings;
    private final List<RequestBranch> branches;

    private InferenceTopology(TopologySettings settings, List<RequestBranch> branches) {
        this.settings = settings;
        this.branches = List.copyOf(branches);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The branches attached after admission, in order. */
    public List<RequestBranch> branches() {
        return branches;
    }

    /** The models to load: those served, less the ones branches take (graphs), plus those their steps run. */
    public ModelSelection loadedModels() {
        if (settings.servedModels().isAll()) {
            return ModelSelection.all();
        }
        Set<String> models = new TreeSet<>(settings.servedModels().names());
        for (RequestBranch b : branches) {
            models.removeAll(b.takes());
        }
        for (RequestBranch b : branches) {
            models.addAll(b.runs());
        }
        return models.isEmpty() ? ModelSelection.none() : ModelSelection.only(models);
    }

    /** Adds the operators after {@code requests} (the source's records, on any partitioning). */
    public Outputs attach(DataStream<RawRecord> requests) {
        SingleOutputStreamOperator<RequestEnvelope> parsed = requests
                .process(new RequestParser(settings.inference().modelsDir(), settings.maxRequestBytes(),
                        settings.servedModels(), settings.preparers()).tracing(settings.inference().tracing()))
                .uid("parse").name("parse, validate and prepare");
        DataStream<Rejection> rejected = parsed.getSideOutput(RequestParser.REJECTED);
        // Rejections claim their ID at admission like any request, so every outcome takes the one keyed path.
        DataStream<RequestEnvelope> rejections = rejected
                .map(r -> RequestEnvelope.carrying(Outcomes.rejected(r))).returns(RequestEnvelope.class)
                .uid("rejections").name("rejections as outcomes");

        SingleOutputStreamOperator<RequestEnvelope> admitted = parsed.union(rejections)
                .keyBy(r -> r.id)
                .process(new AdmissionTracker(settings.stateTtl()).tracing(settings.inference().tracing()))
                .uid("admission").name("admission (status, idempotency, deadlines)");

        InferenceSettings inference = settings.inference().withModels(loadedModels());
        RequestBranch.Context context = new RequestBranch.Context(settings, inference);
        DataStream<RequestEnvelope> oneStep = admitted;
        List<DataStream<Outcome>> branchOutcomes = new ArrayList<>();
        List<DataStream<Rejection>> branchDeadLetters = new ArrayList<>();
        for (RequestBranch branch : branches) {
            RequestBranch.Attached attached = branch.attach(oneStep, context);
            oneStep = attached.rest();
            branchOutcomes.addAll(attached.outcomes());
            branchDeadLetters.addAll(attached.deadLetters());
            LOG.info("Serving {}", branch);
        }
        // Timeout 0: the function keeps the safety net and the retries itself, without a timer per request.
        SingleOutputStreamOperator<Outcome> inferred = AsyncDataStream.unorderedWait(oneStep,
                new BatchingInferenceFunction(inference), 0, TimeUnit.MILLISECONDS, settings.asyncCapacity());
        inferred.uid("inference").name("micro-batched inference");

        // The inference step keeps each record on the subtask its key went to (forward, same parallelism), so its
        // output is still partitioned by request ID: read as keyed, with no second shuffle, the recorder and the
        // sinks chain into the same task as admission and inference. Branch outcomes come on forward edges too.
        DataStream<Outcome> outcomes = inferred;
        for (DataStream<Outcome> b : branchOutcomes) {
            outcomes = outcomes.union(b);
        }
        SingleOutputStreamOperator<Outcome> recorded = DataStreamUtils
                .reinterpretAsKeyedStream(outcomes, o -> o.id, Types.STRING)
                .process(new OutcomeRecorder(settings.stateTtl(), settings.resultTtl(), settings.publishedFinals(),
                        settings.acceptedDelayMs()).tracing(settings.inference().tracing()))
                .uid("outcomes").name("outcomes (one final status per request)");

        DataStream<Rejection> deadLetters = rejected;
        for (DataStream<Rejection> b : branchDeadLetters) {
            deadLetters = deadLetters.union(b);
        }
        return new Outputs(recorded, recorded.getSideOutput(OutcomeRecorder.STATUS), deadLetters);
    }

    public static final class Builder {
        private TopologySettings settings;
        private final List<RequestBranch> extra = new ArrayList<>();

        private Builder() {}

        public Builder settings(TopologySettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** A branch of a kind of request of its own, attached after the served graphs'. */
        public Builder branch(RequestBranch branch) {
            extra.add(Objects.requireNonNull(branch, "branch"));
            return this;
        }

        /**
         * Reads the model repository (unless {@link TopologySettings#checkRepository()} is off): every served model
         * must exist, every problem of every model and graph is listed at once, and the served graphs are planned.
         */
        public InferenceTopology build() {
            Objects.requireNonNull(settings, "settings are required: TopologySettings.builder()...build()");
            List<RequestBranch> branches = new ArrayList<>();
            List<GraphPlan> graphs = graphPlans(settings);
            if (!graphs.isEmpty()) {
                branches.add(new GraphBranch(graphs));
            }
            branches.addAll(extra);
            return new InferenceTopology(settings, branches);
        }

        /** Every version of every served graph. */
        private static List<GraphPlan> graphPlans(TopologySettings settings) {
            if (!settings.checkRepository()) {
                LOG.warn("The model repository is not read where the job is assembled (models.check-on-submit is "
                        + "off): no graph is served (their requests end UNKNOWN_MODEL)");
                return List.of();
            }
            // Opening checks every model and graph of the repository, listing every problem at once.
            ModelRepository repository = ModelRepository.open(Path.of(settings.inference().modelsDir()));
            if (!settings.servedModels().isAll()) {
                settings.servedModels().names().forEach(repository::model);
            }
            List<GraphPlan> plans = new ArrayList<>();
            for (ModelRepository.ModelEntry g : repository.graphs()) {
                if (settings.servedModels().includes(g.name())) {
                    for (String v : g.versions()) {
                        plans.add(GraphPlan.of(g.version(v), repository));
                    }
                }
            }
            return plans;
        }
    }
}
