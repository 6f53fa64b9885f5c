package io.streaminfer.flink.inference;

import io.streaminfer.batching.ByteBudget;
import io.streaminfer.batching.MicroBatcher;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.metrics.BatcherMetrics;
import io.streaminfer.flink.tracing.JobTracing;
import io.streaminfer.flink.tracing.TracedBatches;
import io.streaminfer.flink.metrics.GenerationMetrics;
import io.streaminfer.generation.GenerationEngine;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.runtime.GenerativeReplica;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RuntimeListener;
import io.streaminfer.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of one subtask of one job in this JVM, shared by every operator of that subtask that runs them: the
 * one-step inference operator and each graph step. A model version has one replica and one {@link MicroBatcher}
 * per subtask, so step 2 of many graph requests batches with that model's budget, together with one-step requests
 * and with the steps of other graphs that use the same model. The subtask's device is chosen once (the GPU Flink
 * assigned, spread over the subtasks of the task manager), and one {@link ByteBudget} bounds what all of them hold
 * in flight.
 *
 * <p>Reference-counted: each operator {@link #acquire}s in {@code open} and {@link #release}s in {@code close}; the
 * last release closes batchers and replicas and gives the GPU back. Keyed by job ID, subtask index and attempt
 * number, so a restarted task never shares a replica with a task of the attempt before it. Static per user-code
 * classloader, which is per job in a task manager: the scope that matters.
 *
 * <pre>{@code
 * SubtaskModels models = SubtaskModels.acquire(getRuntimeContext(), settings);
 * ServedModel m = models.served(version, getRuntimeContext().getMetricGroup());
 * ...
 * models.release();
 * }</pre>
 */
@Internal
public final class SubtaskModels {
    private static final Logger LOG = LoggerFactory.getLogger(SubtaskModels.class);
    private static final Map<String, SubtaskModels> OPEN = new HashMap<>();

    /** One served model version: its replica, its batcher, and the cost budget the replica is called with. */
    public record ServedModel(ModelVersion version, ModelReplica replica, MicroBatcher<PreparedRequest> batcher,
            BatcherMetrics metrics, long maxCost) {
    }

    private final String key;
    private final int subtask;
    private final InferenceSettings settings;
    private final Placement placement;
    private final ByteBudget bytes;
    private final Map<String, ServedModel> models = new LinkedHashMap<>();
    private final Map<String, SharedGenerator> generators = new LinkedHashMap<>();
    /** By model name: the versions of a model share its metrics, as they share its name in them. */
    private final Map<String, BatcherMetrics> metrics = new HashMap<>();
    private int users;
    /** The subtask's tracing (null: off), for the batch spans of its batchers. */
    private final JobTracing tracing;

    /** The device the subtask's replicas run on (null: each model's own), and the GPU it took from Flink's. */
    private record Placement(DeviceSpec device, OptionalInt assignedGpu) {
    }

    private SubtaskModels(String key, int subtask, InferenceSettings settings, Placement placement) {
        this.key = key;
        this.subtask = subtask;
        this.settings = settings;
        this.placement = placement;
        this.bytes = new ByteBudget(settings.maxInFlightBytes());
        this.tracing = JobTracing.acquire(settings.tracing());
    }

    /**
     * The models of the calling operator's subtask, counting it as a user. The first user's settings decide for the
     * subtask (every operator of a job gets the same).
     */
    public static SubtaskModels acquire(RuntimeContext context, InferenceSettings settings) {
        var task = context.getTaskInfo();
        String key = context.getJobInfo().getJobId() + "/" + task.getIndexOfThisSubtask() + "/"
                + task.getAttemptNumber();
        synchronized (OPEN) {
            SubtaskModels m = OPEN.get(key);
            if (m == null) {
                m = new SubtaskModels(key, task.getIndexOfThisSubtask(), settings, placement(context, settings));
                OPEN.put(key, m);
            }
            m.users++;
            return m;
        }
    }

    /** The budget of bytes in flight that every user of this subtask's models draws from. */
    public ByteBudget bytes() {
        return bytes;
    }

    /**
     * The served model version, loaded on first use (on the caller's thread); its metrics go into {@code group}
     * of the operator that loads it first, under {@code model/<name>}.
     */
    public synchronized ServedModel served(ModelVersion version, MetricGroup group) {
        ServedModel s = models.get(version.key());
        if (s == null) {
            s = load(version, group);
            models.put(version.key(), s);
        }
        return s;
    }

    /**
     * The generative model version's engine on this subtask, started on first use; its metrics go into {@code
     * group} of the operator that starts it, under {@code generation/<name>}.
     */
    public synchronized SharedGenerator generator(ModelVersion version, MetricGroup group) {
        SharedGenerator g = generators.get(version.key());
        if (g == null) {
            GenerativeReplica replica = GenerativeReplica.load(version, placement.device());
            MetricGroup named = group.addGroup("generation", version.name());
            GenerationMetrics metrics = new GenerationMetrics(named);
            List<GenerationListener> listeners = SharedGenerator.listeners();
            GenerationEngine engine = replica.startEngine(SharedGenerator.fanOut(listeners), metrics);
            metrics.registerGauges(named.addGroup("version", version.version()), engine);
            g = new SharedGenerator(version, replica, engine, listeners);
            generators.put(version.key(), g);
            LOG.info("Subtask {} generates with {} on {}: {}", subtask, version.key(), replica.device(),
                    engine.config());
        }
        return g;
    }

    /** The models loaded so far. */
    public synchronized List<ServedModel> loaded() {
        return new ArrayList<>(models.values());
    }

    private ServedModel load(ModelVersion v, MetricGroup group) {
        boolean firstOfItsName = !this.metrics.containsKey(v.name());
        BatcherMetrics metrics = this.metrics.computeIfAbsent(v.name(),
                n -> new BatcherMetrics(group.addGroup("model", n)));
        RuntimeListener padding = new RuntimeListener() {
            @Override
            public void onForward(ModelVersion model, int rows, long realTokens, long paddedTokens) {
                metrics.onForward(realTokens, paddedTokens);
            }
        };
        RuntimeOptions.Builder options = RuntimeOptions.builder().modelsDir(Path.of(settings.modelsDir()))
                .device(placement.device()).listener(padding);
        if (settings.workers() != null) {
            options.workers(settings.workers());
        }
        ModelReplica replica = settings.replicas().create(v, options.build());
        ModelBatching b = ModelBatching.of(v, replica.workers(), settings.batching(v.name()));
        long maxCost = b.maxCost();
        MicroBatcher<PreparedRequest> batcher = new MicroBatcher<>(b.config(),
                batch -> replica.predictPrepared(batch, maxCost),
                tracing == null ? metrics : new TracedBatches(metrics, tracing, v), System::nanoTime,
                System::currentTimeMillis);
        if (firstOfItsName) {
            metrics.registerGauges(batcher);
        }
        LOG.info("Subtask {} serves {} on {}: {} worker(s), {}", subtask, v.key(), replica.device(),
                replica.workers(), b.describe());
        return new ServedModel(v, replica, batcher, metrics, maxCost);
    }

    /** One user fewer; the last one closes the batchers and replicas and gives the GPU back. */
    public void release() {
        synchronized (OPEN) {
            if (--users > 0) {
                return;
            }
            OPEN.remove(key);
        }
        List<ServedModel> all;
        List<SharedGenerator> engines;
        synchronized (this) {
            all = new ArrayList<>(models.values());
            models.clear();
            engines = new ArrayList<>(generators.values());
            generators.clear();
        }
        for (SharedGenerator g : engines) {
            try {
                g.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing {} failed", g.version().key(), e);
            }
        }
        for (ServedModel s : all) {
            s.batcher().close();
        }
        for (ServedModel s : all) {
            try {
                s.replica().close();
            } catch (RuntimeException e) {
                LOG.warn("Closing {} failed", s.version().key(), e);
            }
        }
        AssignedGpus.release(placement.assignedGpu());
        if (tracing != null) {
            tracing.release();
        }
    }

    /** The GPU Flink's external resource framework gave this task manager, spread over subtasks; else config. */
    private static Placement placement(RuntimeContext context, InferenceSettings settings) {
        OptionalInt gpu = AssignedGpus.acquire(context.getExternalResourceInfos(AssignedGpus.RESOURCE));
        if (gpu.isPresent()) {
            LOG.info("Subtask {} uses GPU {} assigned by Flink", context.getTaskInfo().getIndexOfThisSubtask(),
                    gpu.getAsInt());
            return new Placement(DeviceSpec.gpu(gpu.getAsInt()), gpu);
        }
        return new Placement(settings.device() == null ? null : DeviceSpec.parse(settings.device()), gpu);
    }
}
