package io.streaminfer.flink.inference;

import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.GenerationEngine;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.generation.TokenDelta;
import io.streaminfer.runtime.GenerativeReplica;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.annotation.Internal;

/**
 * A generative model version of one subtask: its replica and the one engine every operator of the subtask that
 * generates with it shares (the generation step and graph steps), so their sequences decode in one batch. Streamed
 * sequences' deltas go to every listener; each picks the ones it routes (only the generation step streams).
 */
@Internal
public final class SharedGenerator {
    private final ModelVersion version;
    private final GenerativeReplica replica;
    private final GenerationEngine engine;
    private final List<GenerationListener> listeners;

    SharedGenerator(ModelVersion version, GenerativeReplica replica, GenerationEngine engine,
            List<GenerationListener> listeners) {
        this.version = version;
        this.replica = replica;
        this.engine = engine;
        this.listeners = listeners;
    }

    /** A listener that hands each step's deltas to the listeners added so far. */
    static List<GenerationListener> listeners() {
        return new CopyOnWriteArrayList<>();
    }

    static GenerationListener fanOut(List<GenerationListener> listeners) {
        return (List<TokenDelta> deltas) -> listeners.forEach(l -> l.onStep(deltas));
    }

    public ModelVersion version() {
        return version;
    }

    public GenerativeReplica replica() {
        return replica;
    }

    public GenerationEngine engine() {
        return engine;
    }

    /** Adds a listener of streamed deltas (on the engine's thread; it must not block). */
    public void listen(GenerationListener listener) {
        listeners.add(listener);
    }

    void close() {
        engine.close();
        replica.close();
    }
}
