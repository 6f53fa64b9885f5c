package io.streaminfer.runtime.internal;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts DJL's PyTorch engine once per JVM, offline, with the torch thread settings, and maps device specs onto
 * devices the host has.
 *
 * <p>Natives come from the {@code pytorch-native-cpu} and {@code pytorch-jni} jars on the classpath and are extracted
 * on first start into DJL's cache ({@code ~/.djl.ai/pytorch/}, or {@code $DJL_CACHE_DIR}/{@code -DENGINE_CACHE_DIR});
 * nothing is downloaded.
 */
public final class TorchEngine {
    private static final Logger LOG = LoggerFactory.getLogger(TorchEngine.class);
    private static final String ENGINE = "PyTorch";

    private static volatile Engine engine;
    private static ModelConfig.Threads applied;

    private TorchEngine() {}

    /**
     * The engine, started with {@code threads} if this is the first call. libtorch's thread settings are
     * process-wide, so a later, different setting is logged and ignored.
     */
    public static synchronized Engine get(ModelConfig.Threads threads) {
        if (engine == null) {
            if (System.getProperty("ai.djl.offline") == null) {
                System.setProperty("ai.djl.offline", "true");
            }
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads.intraOp()));
            System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(threads.interOp()));
            long start = System.nanoTime();
            engine = Engine.getEngine(ENGINE);
            applied = threads;
            LOG.info("Started {} {} (intra-op threads {}, inter-op threads {}, {} GPU(s)) in {} ms",
                    ENGINE, engine.getVersion(), threads.intraOp(), threads.interOp(), engine.getGpuCount(),
                    (System.nanoTime() - start) / 1_000_000);
        } else if (applied.intraOp() != threads.intraOp() || applied.interOp() != threads.interOp()) {
            LOG.warn("torch threads are process-wide and already set to intra_op={}, inter_op={}; ignoring a model's "
                    + "intra_op={}, inter_op={}", applied.intraOp(), applied.interOp(), threads.intraOp(),
                    threads.interOp());
        }
        return engine;
    }

    /** Maps a spec onto a device of this host; a GPU the host lacks is an error that says what it has. */
    public static Device resolve(DeviceSpec spec, Engine engine) {
        int gpus = engine.getGpuCount();
        switch (spec.type()) {
            case CPU:
                return Device.cpu();
            case AUTO:
                return gpus > 0 ? Device.gpu(0) : Device.cpu();
            case GPU:
                if (spec.index() >= gpus) {
                    throw new IllegalStateException("device " + spec + " requested but this host has " + gpus
                            + " GPU(s) visible to PyTorch; use device: auto or cpu, or a lower index");
                }
                return Device.gpu(spec.index());
            default:
                throw new AssertionError(spec);
        }
    }
}
